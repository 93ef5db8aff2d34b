"""Substructure search (SubstructLibrary + pattern fingerprints) against a plain RDKit loop."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem

import molaudit
from molaudit.analytics import AnalyticCancelled, ParameterError
from molaudit.analytics.substructure import SubstructureIndex, parse_query

DATA = Path(__file__).parents[1] / "data"

# 54 queries: functional groups, rings, element and charge queries, recursive SMARTS, SMILES
QUERIES = [
    "c1ccccc1",
    "c1ccncc1",
    "c1ccc2ccccc2c1",
    "[#7]",
    "[#8]",
    "[#16]",
    "[F,Cl,Br,I]",
    "Cl",
    "Br",
    "F",
    "C(=O)O",
    "C(=O)[OX2H1]",
    "C(=O)N",
    "[NX3;H2]",
    "[NX3;H1]",
    "[NX3;H0]",
    "C#N",
    "S(=O)(=O)N",
    "[OX2H]",
    "c[OX2H]",
    "C=C",
    "[CX4]",
    "[R2]",
    "[r5]",
    "[r6]",
    "[r7]",
    "c1ccsc1",
    "c1ccoc1",
    "c1cc[nH]c1",
    "n1ccnc1",
    "C1CCNCC1",
    "C1CCOCC1",
    "C1CNCCN1",
    "[$(C(=O)[#7])]",
    "[$([NX3](=O)=O),$([N+](=O)[O-])]",
    "C(F)(F)F",
    "O=C1CCCN1",
    "c1ccc(-c2ccccc2)cc1",
    "[#6]-[#8]-[#6]",
    "[nX2]",
    "[+,-]",
    "[CH3]",
    "NC(=O)N",
    "c1ccc2[nH]ccc2c1",
    "O=S=O",
    "Cc1ccccc1",
    "CCO",
    "[Si]",
    "[R3]",  # ring-membership, ring-size, connectivity and valence queries: the library
    "[x3]",  # re-reads canonical SMILES without full sanitization, so these must still agree
    "[R1]",
    "[D3]",
    "[v4]",
    "[#6;X4;R2]",
]


def _fixture_smiles() -> list[str]:
    return pd.read_csv(DATA / "scaffolds" / "moleculeace_1000.csv")["smiles"].tolist()[:600]


@pytest.fixture(scope="module")
def index_and_parents() -> tuple[SubstructureIndex, list[tuple[int, Chem.Mol]]]:
    smiles = _fixture_smiles()
    rows = np.arange(100, 100 + len(smiles))  # input rows that are not positions
    parents = [(int(r), Chem.MolFromSmiles(s)) for r, s in zip(rows, smiles, strict=True)]
    return SubstructureIndex(smiles, rows), parents


def test_matches_equal_a_plain_has_substruct_match_loop(index_and_parents) -> None:
    index, parents = index_and_parents
    assert len(QUERIES) >= 40
    matching = 0
    for text in QUERIES:
        query = parse_query(text)
        expected = [row for row, mol in parents if mol.HasSubstructMatch(query)]
        got = index.search(query).tolist()
        assert got == expected, text  # the same rows, in ascending order
        matching += bool(expected)
    assert matching >= 40  # most queries match something: the equality is not vacuous


def test_bytes_round_trip_keeps_the_answers(index_and_parents) -> None:
    index, _ = index_and_parents
    again = SubstructureIndex.from_bytes(index.to_bytes())
    assert len(again) == len(index)
    for text in QUERIES[:10]:
        query = parse_query(text)
        assert again.search(query).tolist() == index.search(query).tolist()
    with pytest.raises(ValueError, match="not a molaudit substructure library"):
        SubstructureIndex.from_bytes(b"something else\n")


def test_cancel_stops_the_search(index_and_parents) -> None:
    index, _ = index_and_parents
    event = threading.Event()
    event.set()
    with pytest.raises(AnalyticCancelled, match="cancelled"):
        index.search(parse_query("c1ccccc1"), cancel=event)


def test_bad_query_is_refused() -> None:
    with pytest.raises(ParameterError, match="SMARTS or SMILES RDKit can parse"):
        parse_query("c1ccc(")
    with pytest.raises(ParameterError, match="non-empty"):
        parse_query("  ")


def test_batch_substructure_searches_the_parents() -> None:
    smiles = [
        "CC(=O)[O-].[Na+]",  # sodium acetate: its parent acetic acid has a free COOH
        "CC(=O)OC",  # methyl acetate: an ester, no COOH
        "OC(=O)c1ccccc1",  # benzoic acid: COOH
        "c1ccccc1",  # benzene: no COOH
        "C1CC(",  # error row (unparsable): never a match
    ]
    with pytest.warns(UserWarning, match="1 of 5 records failed"):
        batch = molaudit.audit(smiles, progress=False, n_jobs=1, cache=False, analytics=False)
    result = batch.substructure("C(=O)[OX2H1]")
    assert result.frames["matches"]["row"].tolist() == [0, 2]
    assert list(result.frames["matches"].columns) == ["row", "id"]
    assert result.summary["n_matches"] == 2 and result.summary["n_searched"] == 4
    # the library is built once and kept with the batch
    assert batch.substructure("c1ccccc1").frames["matches"]["row"].tolist() == [2, 3]
    assert batch.substructure("c1ccccc1").summary["n_searched"] == 4


def test_table_smarts_filter_uses_the_library_and_keeps_the_loop_answer() -> None:
    from molaudit.notebook.table import LIBRARY_MIN_ROWS, TableModel

    smiles = _fixture_smiles() * 4  # 2,400 rows: above LIBRARY_MIN_ROWS
    assert len(smiles) >= LIBRARY_MIN_ROWS
    frame = pd.DataFrame({"row": np.arange(len(smiles)), "smiles": smiles})
    model = TableModel(frame)
    mols = [Chem.MolFromSmiles(s) for s in smiles]
    for text in ("c1ccsc1", "C(F)(F)F", "[NX3;H2]", "[U]"):
        query = Chem.MolFromSmarts(text)
        expected = [i for i, m in enumerate(mols) if m.HasSubstructMatch(query)]
        model.set_filters(smarts=text)
        assert model.view_rows.tolist() == expected, text
    assert model._substructure_index is not None  # the library answered, not the row loop
    assert len(model._substructure_index) == len(smiles)
