"""Stage 3, running a batch: the chunked pool or Dask cluster, columnar results, the disk cache.

``runner`` settles cache hits and sends misses to a backend, ``dask_backend`` runs chunks on a
Dask cluster, ``results`` collects typed columns, ``table`` assembles ``Batch.table``,
``batch_store`` writes, reads and lists whole batches in the cache, ``cache`` is the diskcache
store (bytes only), ``limits`` the per-molecule memory cap, ``parallel`` the pool analytics
share, ``waits`` the bounds on every wait for a pool or a cluster.
"""
