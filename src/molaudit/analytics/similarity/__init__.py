"""Similarity analytics on packed Morgan fingerprints: one Tanimoto engine and what uses it.

``kernels`` holds the numba Tanimoto kernels, ``search`` the fingerprint index, top-k search,
pairs and matrices, ``approx_nn`` the NN-descent candidate graph, ``neighbors`` every molecule's
nearest neighbours, ``clustering`` Butina and leader clusters.
"""
