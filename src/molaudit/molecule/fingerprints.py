"""Packed Morgan fingerprints: the one place molaudit turns a molecule into bits."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from rdkit import Chem
from rdkit.Chem import rdFingerprintGenerator

from molaudit.options import AuditOptions

__all__ = ["morgan_packed", "unpack_bits"]


@lru_cache(maxsize=8)
def _generator(radius: int, size: int) -> rdFingerprintGenerator.FingerprintGenerator64:
    return rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=size)


def morgan_packed(mol: Chem.Mol, radius: int = 2, size: int = 2048) -> np.ndarray:
    """Morgan (ECFP-like) bit fingerprint packed into ``size // 8`` bytes.

    Bits are packed with :func:`numpy.packbits` (big-endian within a byte), so
    ``np.unpackbits(morgan_packed(m))`` equals RDKit's bit vector as a 0/1 array.
    """
    bits = _generator(radius, size).GetFingerprintAsNumPy(mol)
    return np.packbits(bits.astype(bool, copy=False))


def options_fingerprint(mol: Chem.Mol, options: AuditOptions) -> np.ndarray:
    """:func:`morgan_packed` with the radius and size of ``options``."""
    return morgan_packed(mol, options.fp_radius, options.fp_size)


def unpack_bits(packed: np.ndarray) -> np.ndarray:
    """Unpack ``(n, size // 8)`` uint8 fingerprints to a ``(n, size)`` 0/1 uint8 array."""
    return np.unpackbits(np.ascontiguousarray(packed, dtype=np.uint8), axis=-1)
