"""Streaming file readers: a 1M-row CSV or SDF is parsed from the file handle, never held whole.

Bytes come through :func:`open_bytes`, which counts decompressed bytes (the gzip-bomb guard) and
turns gzip failures into one clear ``ValueError``. Text is decoded as UTF-8 (BOM dropped) while it
streams; invalid UTF-8 aborts the pass and the file is read again as Latin-1, with a note giving
the first bad byte and its offset. Delimited files go through ``pandas.read_csv`` on a text
handle; SMI and SDF files are read line by line.
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import io
import zlib
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, overload

import numpy as np
import pandas as pd
import pyarrow as pa

__all__ = [
    "InputReadError",
    "StructureColumn",
    "file_head",
    "hash_frame",
    "hash_structures",
    "iter_lines",
    "iter_sdf_records",
    "open_bytes",
    "open_text",
    "read_delimited",
    "read_sdf",
    "read_smi",
    "utf8_error",
]

#: Rows per slice when a column is turned into Python objects or hashed.
CHUNK_ROWS = 1 << 16
#: Bytes per read from the file (and the text buffer handed to pandas).
READ_BYTES = 1 << 20


class InputReadError(ValueError):
    """The file cannot be read: not gzip, truncated, or over the decompressed-size limit."""


class _CountingReader(io.RawIOBase):
    """Raw byte stream of a (gzip-)file that counts what it hands out and enforces a limit."""

    def __init__(self, path: Path, gz: bool, limit: int) -> None:
        super().__init__()
        self.path, self.gz, self.limit, self.count = path, gz, limit, 0
        self._fh: Any = gzip.open(path, "rb") if gz else open(path, "rb")  # noqa: SIM115

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            n = self._fh.readinto(buffer)
        except (EOFError, gzip.BadGzipFile, zlib.error, OSError) as exc:
            if not self.gz:
                raise
            raise InputReadError(f"{self.path} is not a readable gzip file: {exc}") from exc
        self.count += n
        if self.gz and self.count > self.limit:
            raise InputReadError(
                f"{self.path} decompresses to more than {self.limit} bytes; "
                "refusing (set MOLAUDIT_MAX_INPUT_BYTES to raise the limit)"
            )
        return n

    def close(self) -> None:
        if not self.closed:
            self._fh.close()
        super().close()


def open_bytes(path: Path, gz: bool, limit: int) -> io.BufferedReader:
    """Buffered binary handle on ``path`` (decompressed if ``gz``), guarded by ``limit`` bytes.

    Reads raise :class:`InputReadError` for a corrupt or truncated gzip stream and when more than
    ``limit`` decompressed bytes come out of a gzip file.
    """
    return io.BufferedReader(_CountingReader(path, gz, limit), READ_BYTES)


def open_text(path: Path, gz: bool, limit: int, encoding: str) -> io.TextIOWrapper:
    """Text handle on ``path``; ``newline=''`` keeps CR/LF as they are for the parsers."""
    return io.TextIOWrapper(open_bytes(path, gz, limit), encoding=encoding, newline="")


def file_head(path: Path, gz: bool, limit: int) -> tuple[bool, bool]:
    """``(blank, tab_in_first_line)``: whether the file holds only ASCII whitespace, and whether
    its first line holds a tab (the same byte in UTF-8 and Latin-1).

    Reads only until both are known (one chunk for any ordinary file) and keeps no more than a
    chunk, however long the first line.
    """
    blank, tab, line_done = True, False, False
    with open_bytes(path, gz, limit) as fh:
        while chunk := fh.read(READ_BYTES):
            blank = blank and not chunk.strip()
            if not line_done:
                line, newline, _ = chunk.partition(b"\n")
                tab = tab or b"\t" in line
                line_done = bool(newline)
            if not blank and line_done:
                break
    return blank, tab


def utf8_error(path: Path, gz: bool, limit: int) -> tuple[int, int] | None:
    """``(offset, byte)`` of the first byte of ``path`` that is not valid UTF-8, or None."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    with open_bytes(path, gz, limit) as fh:
        while True:
            chunk = fh.read(READ_BYTES)
            pending = decoder.getstate()[0]
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                data = pending + chunk
                return offset - len(pending) + exc.start, data[exc.start]
            if not chunk:
                return None
            offset += len(chunk)


def _latin1_note(path: Path, gz: bool, limit: int) -> str:
    found = utf8_error(path, gz, limit)
    where = f"byte {found[1]:#04x} at offset {found[0]}" if found else "undecodable bytes"
    return f"{path.name} is not valid UTF-8 ({where}); read as Latin-1"


def read_delimited(path: Path, gz: bool, limit: int, sep: str, notes: list[str]) -> pd.DataFrame:
    """CSV/TSV as a DataFrame of text columns (IDs byte-identical), streamed through pandas.

    Returns
    -------
    pandas.DataFrame
        The file's columns as given in its header, ``str`` dtype, one row per record.
    """
    try:
        with open_text(path, gz, limit, "utf-8-sig") as fh:
            return _parse_csv(fh, sep)
    except UnicodeDecodeError:
        pass  # fall through: re-read the (re-readable) file as Latin-1
    notes.append(_latin1_note(path, gz, limit))
    with open_text(path, gz, limit, "latin-1") as fh:
        return _parse_csv(fh, sep)


def _parse_csv(fh: io.TextIOWrapper, sep: str) -> pd.DataFrame:
    return pd.read_csv(fh, sep=sep, dtype=str, keep_default_na=False, na_filter=False)


def iter_lines(fh: io.TextIOBase, size: int | None = None) -> Iterator[str]:
    """Lines of a text handle (without line ends), split exactly as ``str.splitlines`` splits
    the whole text, reading ``size`` characters at a time.

    Each read is cut after its last LF (or, failing that, after a CR that is not its last
    character, so a CRLF is never split); the rest waits for the next read. A line longer than
    a read is collected in pieces and joined once, so a 100 MB line costs one copy.
    """
    size = size or READ_BYTES
    pieces: list[str] = []
    while chunk := fh.read(size):
        cut = chunk.rfind("\n") + 1
        if not cut:
            cut = chunk.rfind("\r", 0, len(chunk) - 1) + 1
        if not cut:
            pieces.append(chunk)
            continue
        head = chunk[:cut]
        if pieces:
            pieces.append(head)
            head = "".join(pieces)
        yield from head.splitlines()
        pieces = [chunk[cut:]] if cut < len(chunk) else []
    if pieces:
        yield from "".join(pieces).splitlines()


def _decoded_lines(path: Path, gz: bool, limit: int, notes: list[str], fn: Any) -> Any:
    """Run ``fn(lines)`` on the decoded lines of ``path``: UTF-8, else Latin-1 with a note."""
    try:
        with open_text(path, gz, limit, "utf-8-sig") as fh:
            return fn(iter_lines(fh))
    except UnicodeDecodeError:
        pass
    notes.append(_latin1_note(path, gz, limit))
    with open_text(path, gz, limit, "latin-1") as fh:
        return fn(iter_lines(fh))


def read_smi(path: Path, gz: bool, limit: int, notes: list[str]) -> pd.DataFrame:
    """SMILES file, one record per line: ``SMILES [id [more fields]]`` split on tab or space.

    Returns
    -------
    pandas.DataFrame
        Columns ``smiles``, then ``id`` and ``field_3``... as far as the widest line goes
        (object dtype, ``""`` where a line is shorter).
    """
    return _decoded_lines(path, gz, limit, notes, _smi_columns)


def _smi_columns(lines: Iterable[str]) -> pd.DataFrame:
    columns: list[list[str]] = []
    n = 0
    first = True
    for line in lines:
        if not line.strip():
            continue
        fields = line.split("\t") if "\t" in line else line.split(None, 1)
        if first:
            first = False
            if fields and fields[0].strip().lower() in {"smiles", "smi"}:
                continue
        while len(columns) < len(fields):
            columns.append([""] * n)
        for i, column in enumerate(columns):
            column.append(fields[i].strip() if i < len(fields) else "")
        n += 1
    if not columns:
        columns = [[]]
    names = ["smiles", "id"] + [f"field_{i}" for i in range(3, len(columns) + 1)]
    return pd.DataFrame(
        {
            name: pd.Series(values, dtype=object)
            for name, values in zip(names, columns, strict=False)
        }
    )


def iter_sdf_records(source: str | Iterable[str]) -> Iterator[tuple[str, dict[str, str]]]:
    """Yield ``(molblock, properties)`` per SD record; a last record without ``$$$$`` counts.

    ``source`` is the whole text or an iterable of its lines (without line ends, as
    :func:`iter_lines` gives them); only the current record is held.
    """
    lines = source.splitlines() if isinstance(source, str) else source
    record: list[str] = []
    for line in lines:
        if line.startswith("$$$$"):
            yield _split_record(record)
            record = []
        else:
            record.append(line)
    if any(line.strip() for line in record):
        yield _split_record(record)


def _split_record(lines: list[str]) -> tuple[str, dict[str, str]]:
    end = next((i for i, ln in enumerate(lines) if ln.startswith("M  END")), None)
    if end is None:
        # no M  END: keep the text as the molblock; the parser reports what is wrong
        return "\n".join(lines) + "\n", {}
    molblock = "\n".join(lines[: end + 1]) + "\n"
    props: dict[str, str] = {}
    name: str | None = None
    values: list[str] = []
    for line in lines[end + 1 :]:
        if line.startswith(">"):
            if name is not None:
                props[name] = "\n".join(values).strip("\n")
            start, stop = line.find("<"), line.rfind(">")
            name = line[start + 1 : stop] if 0 <= start < stop else line[1:].strip()
            values = []
        elif name is not None:
            values.append(line)
    if name is not None:
        props[name] = "\n".join(values).strip("\n")
    return molblock, props


def read_sdf(
    path: Path, gz: bool, limit: int, notes: list[str]
) -> tuple[pd.DataFrame, list[str | None]]:
    """SD file as ``(properties, molblocks)``, one record at a time from the file handle.

    Returns
    -------
    tuple
        A DataFrame with ``_Name`` (first molblock line, stripped) and one object column per
        property in order of first appearance (``""`` where a record lacks it), and the list of
        molblocks (None for an empty record).
    """
    return _decoded_lines(path, gz, limit, notes, _sdf_columns)


def _sdf_columns(lines: Iterable[str]) -> tuple[pd.DataFrame, list[str | None]]:
    blocks: list[str | None] = []
    columns: dict[str, list[str]] = {"_Name": []}
    for molblock, props in iter_sdf_records(lines):
        n = len(blocks)
        blocks.append(molblock if molblock.strip() else None)
        # a property called _Name overrides the title line, as a dict merge would
        row = {"_Name": molblock.split("\n", 1)[0].strip(), **props}
        for key, value in row.items():
            column = columns.get(key)
            if column is None:
                column = columns[key] = [""] * n
            column.append(value)
        for column in columns.values():
            if len(column) == n:
                column.append("")
    if not blocks:
        return pd.DataFrame(), blocks
    frame = pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in columns.items()})
    return frame, blocks


class StructureColumn(Sequence):
    """Read-only sequence of ``str | None`` over a table column, without a list of its values.

    Indexing and iteration hand out Python strings made on demand (iteration converts
    :data:`CHUNK_ROWS` rows at a time), so a 1M-row column costs only its column storage.

    Parameters
    ----------
    values : pandas.Series
        Text column (``str`` or object dtype holding ``str``); missing values read as None.
    """

    __slots__ = ("_values",)

    def __init__(self, values: pd.Series) -> None:
        self._values = values.array

    def __len__(self) -> int:
        return len(self._values)

    @overload
    def __getitem__(self, index: int) -> str | None: ...
    @overload
    def __getitem__(self, index: slice) -> list[str | None]: ...
    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return _as_text(self._values[index])
        if not isinstance(index, int | np.integer):
            raise TypeError(f"index must be an int or a slice, got {type(index).__name__}")
        return _one(self._values[int(index)])

    def __iter__(self) -> Iterator[str | None]:
        for start in range(0, len(self._values), CHUNK_ROWS):
            yield from _as_text(self._values[start : start + CHUNK_ROWS])

    def __repr__(self) -> str:
        return f"StructureColumn({len(self)} rows)"

    def arrow_chunks(self) -> list[pa.Array] | None:
        """The column's Arrow string arrays (zero-copy), or None if it is not Arrow-backed."""
        dtype = getattr(self._values, "dtype", None)
        if not (isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"):
            return None
        arrow = self._values.__arrow_array__()
        return list(arrow.chunks) if isinstance(arrow, pa.ChunkedArray) else [arrow]


def _one(value: Any) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    return value if isinstance(value, str) else str(value)


def _as_text(values: Any) -> list[str | None]:
    out = np.asarray(values, dtype=object).tolist() if not isinstance(values, list) else values
    if all(type(v) is str for v in out):
        return out
    return [_one(v) for v in out]


def _bulk_hash() -> Any:
    # SHA-256 runs on the CPU's SHA extensions where present: 2-3x faster than BLAKE2b here
    return hashlib.sha256()


def _hash_arrow_text(chunks: Iterable[pa.Array]) -> bytes:
    """Digest of a text column from its Arrow buffers: same bytes whatever the chunking."""
    lengths = _bulk_hash()
    data = _bulk_hash()
    for chunk in chunks:
        if len(chunk) == 0:
            continue
        if pa.types.is_string(chunk.type) or pa.types.is_binary(chunk.type):
            width = np.int32
        elif pa.types.is_large_string(chunk.type) or pa.types.is_large_binary(chunk.type):
            width = np.int64
        else:
            raise TypeError(f"expected an Arrow text array, got {chunk.type}")
        validity, offsets_buf, data_buf = chunk.buffers()[:3]
        offsets = np.frombuffer(offsets_buf, dtype=width)[
            chunk.offset : chunk.offset + len(chunk) + 1
        ]
        size = np.diff(offsets).astype(np.int64)
        if validity is not None and chunk.null_count:
            size[chunk.is_null().to_numpy(zero_copy_only=False)] = -1
        lengths.update(size.tobytes())
        if data_buf is not None:
            data.update(memoryview(data_buf)[int(offsets[0]) : int(offsets[-1])])
    return lengths.digest() + data.digest()


def hash_structures(structures: Sequence[str | None]) -> bytes:
    """Digest of a sequence of ``str | None`` (None differs from ``""``), in bounded memory.

    The digest covers the UTF-8 byte lengths (-1 for None) and the concatenated bytes, fed
    slice by slice (Arrow-backed columns straight from their buffers).
    """
    chunks = structures.arrow_chunks() if isinstance(structures, StructureColumn) else None
    if chunks is not None:
        return _hash_arrow_text(chunks)
    lengths = _bulk_hash()
    data = _bulk_hash()
    # a few thousand rows at a time: molblocks are kilobytes each
    step = 4096
    for start in range(0, len(structures), step):
        encoded = [
            None if s is None else s.encode("utf-8", "surrogatepass")
            for s in structures[start : start + step]
        ]
        sizes = [-1 if e is None else len(e) for e in encoded]
        lengths.update(np.array(sizes, dtype=np.int64).tobytes())
        data.update(b"".join(e for e in encoded if e is not None))
    return lengths.digest() + data.digest()


def hash_frame(frame: pd.DataFrame) -> bytes:
    """Digest of a frame's values, column by column, without whole-frame temporaries."""
    h = _bulk_hash()
    for i in range(frame.shape[1]):
        column = frame.iloc[:, i]  # by position: column names may repeat
        if isinstance(column.dtype, pd.StringDtype):
            h.update(b"T" + hash_structures(StructureColumn(column)))
            continue
        for start in range(0, len(column), CHUNK_ROWS):
            part = column.iloc[start : start + CHUNK_ROWS]
            try:
                h.update(pd.util.hash_pandas_object(part, index=False).to_numpy().tobytes())
            except TypeError:  # unhashable cells (lists, dicts): fall back to their text
                h.update(part.astype(str).to_csv(index=False, header=False).encode())
    return h.digest()
