"""Stage 3, running a batch: the chunked pool or Dask cluster, columnar results, the disk cache.

``runner`` settles cache hits and sends misses to a backend, ``dask_backend`` runs chunks on a
Dask cluster, ``results`` collects typed columns, ``cache`` is the diskcache store (bytes only),
``limits`` the per-molecule memory cap, ``parallel`` the pool analytics share.
"""
