"""Streaming readers: same tables as the whole-file reader, at every read-chunk boundary."""

from __future__ import annotations

import gzip
import io
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from molaudit.ingest import readers
from molaudit.ingest import stream as readers_stream
from molaudit.ingest.readers import InputTable, read_input
from molaudit.ingest.stream import StructureColumn, iter_lines, iter_sdf_records

# every test here may start a worker pool: each one has its own bound
pytestmark = pytest.mark.timeout(180)

BAD = Path(__file__).parent / "data" / "bad"
CORPUS = sorted(p for p in BAD.iterdir() if p.name != "README.md")


# --- the oracle: the whole-file reader this module replaced (bytes -> one str -> parser) -------


def _old_split_smi(text: str) -> pd.DataFrame:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    rows = [ln.split("\t") if "\t" in ln else ln.split(None, 1) for ln in lines]
    if rows and rows[0] and rows[0][0].strip().lower() in {"smiles", "smi"}:
        rows = rows[1:]
    width = max((len(r) for r in rows), default=1)
    names = ["smiles", "id"] + [f"field_{i}" for i in range(3, width + 1)]
    data = {
        name: [r[i].strip() if i < len(r) else "" for r in rows]
        for i, name in enumerate(names[:width])
    }
    return pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in data.items()})


def old_read(path: Path) -> InputTable:
    name = path.name.lower()
    gz = name.endswith(".gz")
    suffix = Path(name[:-3] if gz else name).suffix
    raw = gzip.decompress(path.read_bytes()) if gz else path.read_bytes()
    if not raw.strip():
        raise ValueError(f"{path} is empty")
    notes: list[str] = []
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        notes.append(
            f"{path.name} is not valid UTF-8 (byte {raw[exc.start]:#04x} at offset {exc.start}); "
            "read as Latin-1"
        )
        text = raw.decode("latin-1")
    if suffix == ".sdf":
        blocks, props_list = [], []
        for molblock, props in iter_sdf_records(text):
            props = {"_Name": molblock.split("\n", 1)[0].strip(), **props}
            blocks.append(molblock if molblock.strip() else None)
            props_list.append(props)
        names = list(dict.fromkeys(k for p in props_list for k in p))
        frame = pd.DataFrame(
            {n: pd.Series([p.get(n, "") for p in props_list], dtype=object) for n in names}
        )
        return readers._from_sdf(frame, blocks, path, None, None, notes)
    if suffix == ".smi":
        frame = _old_split_smi(text)
        ident = "id" if "id" in frame.columns else None
        return readers._from_frame(frame, "smiles", ident, None, str(path), notes)
    first = text.split("\n", 1)[0]
    sep = "\t" if suffix == ".tsv" or (suffix == ".txt" and "\t" in first) else ","
    frame = pd.read_csv(
        io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, na_filter=False
    )
    return readers._from_frame(frame, None, None, None, str(path), notes)


def assert_same_table(new: InputTable, old: InputTable) -> None:
    pd.testing.assert_frame_equal(new.frame, old.frame)
    assert list(new.structures) == list(old.structures)
    assert len(new.structures) == len(old.structures)
    assert (new.kind, new.smiles_col, new.id_col, new.activity_col, new.source) == (
        old.kind,
        old.smiles_col,
        old.id_col,
        old.activity_col,
        old.source,
    )
    assert new.notes == old.notes


def gzipped(path: Path, folder: Path) -> Path:
    out = folder / (path.name + ".gz")
    out.write_bytes(gzip.compress(path.read_bytes()))
    return out


@pytest.fixture(params=[None, 7], ids=["default-reads", "7-byte-reads"])
def read_size(request, monkeypatch):
    """Run with the normal read size and with 7-byte reads (every record straddles a read)."""
    if request.param is not None:
        monkeypatch.setattr(readers_stream, "READ_BYTES", request.param)
    return request.param


@pytest.mark.parametrize("path", CORPUS, ids=[p.name for p in CORPUS])
@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gz"])
def test_bad_corpus_reads_as_the_whole_file_reader_did(path, gz, read_size, tmp_path):
    source = gzipped(path, tmp_path) if gz else path
    if not path.read_bytes().strip():
        with pytest.raises(ValueError, match="is empty"):
            read_input(source)
        return
    assert_same_table(read_input(source), old_read(source))


def test_new_corpus_files_read_as_expected():
    sdf = read_input(BAD / "bom_crlf.sdf")
    assert sdf.frame.columns.tolist() == ["_Name", "pIC50", "comment", "vendor"]
    assert sdf.frame["_Name"].tolist() == ["éthanol", "", "aniline"]
    assert sdf.frame["comment"].tolist() == ["line one\nline two", "", ""]
    assert sdf.frame["vendor"].tolist() == ["", "", "ACME, Inc."]
    assert sdf.structures[1] is None and sdf.structures[2].startswith("aniline\n")
    txt = read_input(BAD / "tabs.txt")
    assert txt.frame.columns.tolist() == ["smiles", "name", "pKi"]
    assert txt.frame["name"].tolist() == ["ethanol", "benzene", "acetic, acid"]
    assert (txt.id_col, txt.activity_col) == ("name", "pKi")
    smi = read_input(BAD / "mac_cr.smi")
    assert smi.frame.columns.tolist() == ["smiles", "id", "field_3"]
    assert list(smi.structures) == ["CCO", "c1ccccc1", "CCN"]
    assert smi.frame["id"].tolist() == ["ethanol", "benzene ring", "ethylamine"]


# --- chunk boundaries ---------------------------------------------------------------------------

LINE_TEXT = st.text(alphabet="ab \t\r\n\x0b\x0c\x1c\x85\u2028", max_size=60)


@settings(max_examples=150, deadline=None)
@given(text=LINE_TEXT, size=st.integers(min_value=1, max_value=9))
def test_iter_lines_splits_like_splitlines_at_any_read_size(text, size):
    assert list(iter_lines(io.StringIO(text, newline=""), size)) == text.splitlines()


def test_iter_lines_joins_a_long_line_once():
    line = "C" * 3_000_000
    text = f"smiles\n{line}\r\nCCO"
    assert list(iter_lines(io.StringIO(text, newline=""), 1000)) == ["smiles", line, "CCO"]


def test_sdf_record_split_across_reads_matches_whole_text():
    # CRLF records first, then LF records ending in one without the final $$$$
    text = (BAD / "bom_crlf.sdf").read_bytes().decode("utf-8-sig")
    text += (BAD / "broken.sdf").read_bytes().decode()
    whole = list(iter_sdf_records(text))
    for size in (1, 2, 3, 5, 64, 1000):
        lines = iter_lines(io.StringIO(text, newline=""), size)
        assert list(iter_sdf_records(lines)) == whole
    assert len(whole) == 7


def _quoted_csv(n: int, seed: int = 0) -> str:
    rng = random.Random(seed)
    smiles = ["CCO", "c1ccccc1", "CC(=O)O", "C1CC1N", "OCC(O)CO"]
    rows = ["id,smiles,note,pIC50"]
    for i in range(n):
        note = rng.choice(["plain", 'two\nlines, "quoted"', "crlf\r\ninside", "", "x" * 300])
        rows.append(
            f'"{i:06d}",{rng.choice(smiles)},"{note.replace(chr(34), chr(34) * 2)}",{i % 9}'
        )
    return "\r\n".join(rows) + "\r\n"


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gz"])
def test_csv_quoted_newlines_across_parser_reads(gz, tmp_path):
    text = _quoted_csv(12_000)  # ~1.3 MB: many of pandas' 256 kB reads, cut inside quoted cells
    path = tmp_path / ("quoted.csv.gz" if gz else "quoted.csv")
    path.write_bytes(gzip.compress(text.encode()) if gz else text.encode())
    new, old = read_input(path), old_read(path)
    assert_same_table(new, old)
    assert new.frame["id"].tolist()[:2] == ["000000", "000001"]
    assert len(new.frame) == 12_000 and new.frame["note"].str.contains("\n").any()


def test_latin1_byte_after_the_first_read_gives_the_same_note(read_size, tmp_path):
    path = tmp_path / "late.csv"
    path.write_bytes(b"smiles,name\n" + b"CCO,plain\n" * 40 + "CCN,café\n".encode("latin-1"))
    new = read_input(path)
    assert_same_table(new, old_read(path))
    assert new.notes[0] == "late.csv is not valid UTF-8 (byte 0xe9 at offset 419); read as Latin-1"
    assert new.frame["name"].tolist()[-1] == "café"


def test_truncated_utf8_at_end_of_file_falls_back(tmp_path):
    path = tmp_path / "cut.smi"
    path.write_bytes("CCO\tcafé\n".encode() + b"CCN\tx\xc3")
    new = read_input(path)
    assert_same_table(new, old_read(path))
    assert "byte 0xc3 at offset 15" in new.notes[0]


# --- limits and errors ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["many.csv.gz", "many.sdf.gz", "many.smi.gz"])
def test_gzip_bomb_limit_counts_decompressed_bytes(name, monkeypatch, tmp_path):
    path = tmp_path / name
    body = (BAD / "broken.sdf").read_bytes() * 40 if ".sdf" in name else b"smiles\n" + b"C\n" * 4000
    path.write_bytes(gzip.compress(body))
    monkeypatch.setattr(readers, "MAX_DECOMPRESSED_BYTES", 5000)
    with pytest.raises(ValueError, match="decompresses to more than 5000 bytes; refusing"):
        read_input(path)
    monkeypatch.setattr(readers, "MAX_DECOMPRESSED_BYTES", len(body))
    assert len(read_input(path).frame) > 1


@pytest.mark.parametrize("name", ["ids.csv.gz", "broken.sdf.gz", "salts.smi.gz"])
def test_truncated_or_fake_gzip_is_a_clear_error(name, tmp_path):
    source = {"ids": "duplicate_ids.csv", "broken": "broken.sdf", "salts": "salts_metals.smi"}
    raw = (BAD / source[name.split(".")[0]]).read_bytes() * 50
    cut = tmp_path / name
    cut.write_bytes(gzip.compress(raw)[:-12])
    with pytest.raises(ValueError, match="is not a readable gzip file"):
        read_input(cut)
    fake = tmp_path / ("fake_" + name)
    fake.write_bytes(raw)
    with pytest.raises(ValueError, match="is not a readable gzip file"):
        read_input(fake)


@pytest.mark.parametrize("name", ["blank.csv", "blank.sdf", "blank.smi", "blank.csv.gz"])
def test_whitespace_only_file_is_empty(name, read_size, tmp_path):
    path = tmp_path / name
    body = b" \r\n\t\n" * 10
    path.write_bytes(gzip.compress(body) if name.endswith(".gz") else body)
    with pytest.raises(ValueError, match="is empty"):
        read_input(path)


def test_sdf_property_named_like_the_title_overrides_it(tmp_path):
    path = tmp_path / "named.sdf"
    block = (BAD / "broken.sdf").read_text().split("$$$$")[0]
    path.write_text(block + "> <_Name>\nfrom property\n\n$$$$\n" + block + "$$$$\n")
    new = read_input(path)
    assert_same_table(new, old_read(path))
    assert new.frame["_Name"].tolist() == ["from property", "ethanol"]


def test_sdf_with_only_separators_holds_no_records(tmp_path):
    path = tmp_path / "seps.sdf"
    path.write_text("\n\n")
    with pytest.raises(ValueError, match="is empty"):
        read_input(path)
    path.write_text("x\n$$$$\n")
    assert len(read_input(path).frame) == 1


def test_long_single_line_reads_correctly(tmp_path):
    path = tmp_path / "long.csv"
    line = "C" * 4_000_000
    path.write_text(f"smiles,id\n{line},long\nCCO,short\n")
    table = read_input(path)
    assert table.structures[0] == line and table.frame["id"].tolist() == ["long", "short"]
    smi = tmp_path / "long.smi"
    smi.write_text(f"{line} long\nCCO short")
    assert read_input(smi).structures[0] == line


# --- structures view and digest ------------------------------------------------------------------


def test_structure_column_is_a_sequence():
    col = StructureColumn(pd.Series(["CCO", "", None, "é"], dtype="str"))
    assert len(col) == 4 and list(col) == ["CCO", "", None, "é"]
    assert col[0] == "CCO" and col[-1] == "é" and col[2] is None and col[np.int64(1)] == ""
    assert col[1:3] == ["", None]
    with pytest.raises(IndexError):
        col[4]
    with pytest.raises(TypeError, match="index must be an int or a slice, got str"):
        col["0"]
    obj = StructureColumn(pd.Series(["C", None, float("nan")], dtype=object))
    assert list(obj) == ["C", None, None]


def test_file_structures_view_the_frame_column(tmp_path):
    table = read_input(BAD / "unparsable.csv")
    assert isinstance(table.structures, StructureColumn)
    assert list(table.structures) == table.frame[table.smiles_col].tolist()


def test_content_digest_tracks_content_not_chunking(monkeypatch, tmp_path):
    text = _quoted_csv(3000, seed=1)
    plain, gz = tmp_path / "a.csv", tmp_path / "b.csv.gz"
    plain.write_text(text, newline="")
    gz.write_bytes(gzip.compress(text.encode()))
    digest = read_input(plain).content_digest()
    assert read_input(gz).content_digest() == digest
    monkeypatch.setattr(readers_stream, "CHUNK_ROWS", 7)
    assert read_input(plain).content_digest() == digest
    sdf = read_input(BAD / "broken.sdf")
    assert sdf.content_digest() == read_input(BAD / "broken.sdf").content_digest()
    changed = tmp_path / "c.csv"
    changed.write_text(text.replace("CCO", "CCN", 1), newline="")
    assert read_input(changed).content_digest() != digest


def test_content_digest_none_and_empty_differ():
    a = read_input(["CCO", None, "C"])
    b = read_input(["CCO", "", "C"])
    c = read_input(["CC", "OC"])
    assert len({a.content_digest(), b.content_digest(), c.content_digest()}) == 3
    assert a.content_digest() == read_input(["CCO", None, "C"]).content_digest()
    frame = pd.DataFrame({"smiles": ["CCO", "C"], "tags": [["a"], ["b"]]})
    other = pd.DataFrame({"smiles": ["CCO", "C"], "tags": [["a"], ["c"]]})
    assert read_input(frame).content_digest() != read_input(other).content_digest()
    dup = pd.DataFrame([["CCO", "a", "b"]], columns=["smiles", "x", "x"])
    dup2 = pd.DataFrame([["CCO", "a", "c"]], columns=["smiles", "x", "x"])
    assert read_input(dup).content_digest() != read_input(dup2).content_digest()
