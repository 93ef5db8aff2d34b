"""The bytes format of a substructure library, as a batch's disk cache keeps it.

Plain bytes, never a Python pickle: a header line (:data:`LIBRARY_FORMAT`, part of the
disk-cache key, so a new format never reads an old one); eight little-endian ``int64`` sizes;
the numeric columns of :func:`_layout` one after the other (little-endian); the ring, star
and decorated-ring vocabularies as text (one key a line, comma-separated integers) and the
SMILES joined by newlines. :func:`read_library` checks every size, offset and id before it
hands the columns over, so damaged bytes raise ``ValueError`` instead of giving a wrong index.

Also the helpers that turn the per-molecule key lists into those columns and back.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from molaudit.analytics.substructure_screen import ATOM_WORDS, WORDS

__all__ = [
    "LIBRARY_FORMAT",
    "csr",
    "csr_lists",
    "library_bytes",
    "pack_types",
    "read_library",
    "vocab_from_text",
    "vocab_text",
]

LIBRARY_FORMAT = "substructure-library-4"
#: The size fields after the header, in file order.
_SIZES = ("n", "n_ring", "n_star", "n_deco", "n_keys", "ring_text", "star_text", "deco_text")
#: Each vocabulary's text size field, in file order.
_VOCABS = (("ring_vocab", "ring_text"), ("star_vocab", "star_text"), ("deco_vocab", "deco_text"))


def _layout(sizes: dict[str, int]) -> list[tuple[str, str, tuple[int, ...]]]:
    """The numeric columns in file order: (attribute, little-endian dtype, shape)."""
    n, per_molecule = sizes["n"], (sizes["n"] + 1,)
    return [
        ("rows", "<i8", (n,)),
        ("fingerprints", "<u8", (WORDS, n)),
        ("types", "<u8", (ATOM_WORDS, n)),
        ("ring_ptr", "<i8", per_molecule),
        ("ring_ids", "<i8", (sizes["n_ring"],)),
        ("star_ptr", "<i8", per_molecule),
        ("star_ids", "<i8", (sizes["n_star"],)),
        ("deco_ptr", "<i8", per_molecule),
        ("deco_ids", "<i8", (sizes["n_deco"],)),
        ("deco_rings", "<i8", (sizes["n_keys"],)),
        ("deco_types", "<u8", (ATOM_WORDS, sizes["n_keys"])),
        ("flags", "u1", (n,)),
    ]


def library_bytes(index: Any) -> bytes:
    """The bytes of a :class:`~molaudit.analytics.substructure.SubstructureIndex`."""
    texts = {field: vocab_text(getattr(index, name)) for name, field in _VOCABS}
    sizes = {
        "n": len(index.rows),
        "n_ring": len(index.ring_ids),
        "n_star": len(index.star_ids),
        "n_deco": len(index.deco_ids),
        "n_keys": len(index.deco_vocab),
        **{field: len(text) for field, text in texts.items()},
    }
    parts = [
        LIBRARY_FORMAT.encode("ascii") + b"\n",
        np.asarray([sizes[s] for s in _SIZES], dtype="<i8").tobytes(),
    ]
    for name, dtype, _ in _layout(sizes):
        parts.append(np.ascontiguousarray(getattr(index, name), dtype=dtype).tobytes())
    parts += [texts[field] for _, field in _VOCABS]
    parts.append("\n".join(index.smiles).encode("utf-8"))
    return b"".join(parts)


def read_library(blob: bytes, known_flags: int) -> dict[str, Any]:
    """The attributes of an index written by :func:`library_bytes`, checked.

    Parameters
    ----------
    blob : bytes
        What :func:`library_bytes` wrote.
    known_flags : int
        The OR of every flag a molecule may carry; another bit means damage.

    Returns
    -------
    dict
        Attribute name -> value (numpy arrays in native byte order, the vocabularies as
        lists of int tuples, ``smiles`` a list of str).

    Raises
    ------
    ValueError
        Another format, or truncated or damaged bytes.
    """
    header, _, rest = blob.partition(b"\n")
    if header.decode("ascii", "replace") != LIBRARY_FORMAT:
        raise ValueError("not a molaudit substructure library")
    view = memoryview(rest)
    head = 8 * len(_SIZES)
    if len(view) < head:
        raise ValueError("substructure library is truncated")
    sizes = dict(zip(_SIZES, (int(x) for x in np.frombuffer(view[:head], "<i8")), strict=True))
    layout = _layout(sizes)
    body = sum(np.dtype(d).itemsize * int(np.prod(shape)) for _, d, shape in layout)
    body += sum(sizes[field] for _, field in _VOCABS)
    if min(sizes.values()) < 0 or len(view) < head + body:
        raise ValueError("substructure library is truncated or damaged")
    out: dict[str, Any] = {}
    offset = head
    for name, dtype, shape in layout:
        size = np.dtype(dtype).itemsize * int(np.prod(shape))
        column = np.frombuffer(view[offset : offset + size], dtype=dtype).reshape(shape)
        out[name] = column.astype(column.dtype.newbyteorder("="))  # a native, writable copy
        offset += size
    try:
        for name, field in _VOCABS:
            out[name] = vocab_from_text(bytes(view[offset : offset + sizes[field]]))
            offset += sizes[field]
        text = bytes(view[offset:]).decode("utf-8")
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"substructure library is damaged ({exc})") from None
    n = sizes["n"]
    out["smiles"] = text.split("\n") if n else []
    if len(out["smiles"]) != n:
        raise ValueError("substructure library and its rows differ in length")
    if np.any(out["flags"] & ~np.uint8(known_flags)):
        raise ValueError("substructure library is damaged (flags)")
    rings = out["deco_rings"]
    if len(out["deco_vocab"]) != sizes["n_keys"] or (
        len(rings) and not 0 <= rings.min() <= rings.max() < len(out["ring_vocab"])
    ):
        raise ValueError("substructure library is damaged (decorated ring keys)")
    for kind in ("ring", "star", "deco"):
        ptr, ids, vocab = out[f"{kind}_ptr"], out[f"{kind}_ids"], out[f"{kind}_vocab"]
        if (
            ptr[0] != 0
            or ptr[-1] != len(ids)
            or np.any(np.diff(ptr) < 0)
            or (len(ids) and not 0 <= ids.min() <= ids.max() < len(vocab))
        ):
            raise ValueError("substructure library is damaged (ring, star or decorated keys)")
    return out


# per-molecule id lists as CSR arrays, vocabularies as text


def pack_types(types: list[bytes]) -> np.ndarray:
    """Column-major ``(ATOM_WORDS, n)`` ``uint64`` array of ``n`` atom-type byte strings."""
    if not types:
        return np.zeros((ATOM_WORDS, 0), dtype=np.uint64)
    flat = np.frombuffer(b"".join(types), dtype="<u8").reshape(len(types), ATOM_WORDS)
    return np.ascontiguousarray(flat.T, dtype=np.uint64)


def csr(lists: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Offsets (``len(lists) + 1``) and the ids of ``lists`` one after the other."""
    ptr = np.zeros(len(lists) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(x) for x in lists])
    ids = np.fromiter((i for x in lists for i in x), dtype=np.int64, count=int(ptr[-1]))
    return ptr, ids


def csr_lists(ptr: np.ndarray, ids: np.ndarray) -> list[list[int]]:
    """The lists :func:`csr` was given."""
    p, i = ptr.tolist(), ids.tolist()
    return [i[p[k] : p[k + 1]] for k in range(len(p) - 1)]


def vocab_text(keys: list[tuple[int, ...]]) -> bytes:
    """Keys as ASCII text: one a line, comma-separated."""
    return "\n".join(",".join(str(x) for x in key) for key in keys).encode("ascii")


def vocab_from_text(text: bytes) -> list[tuple[int, ...]]:
    """The keys of :func:`vocab_text` output (ValueError when a line is no integers)."""
    lines = text.decode("ascii").split("\n")
    return [tuple(int(x) for x in line.split(",")) for line in lines if line]
