"""Structure drawings for the analytic views: small, highlighted, and refused when too big.

Drawings are RDKit SVGs shrunk (shared style attributes, no per-element classes) and shown as
``<img src="data:image/svg+xml;base64,...">``: an image-loaded SVG runs no script and the base64
alphabet cannot leave the attribute, so nothing from the data becomes markup on this path.
Molecules above :data:`MAX_DRAW_HEAVY_ATOMS` heavy atoms (or SMILES longer than
:data:`MAX_DRAW_SMILES`) get a placeholder without being parsed, so a 5,000-atom chain costs
nothing to "draw".
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

__all__ = [
    "MAX_DRAW_HEAVY_ATOMS",
    "MAX_DRAW_SMILES",
    "changed_atoms",
    "draw",
    "mcs_difference",
    "minify_svg",
    "placeholder",
]

#: Molecules with more heavy atoms are not drawn (a placeholder says why).
MAX_DRAW_HEAVY_ATOMS = 150
#: SMILES longer than this are not even parsed for drawing.
MAX_DRAW_SMILES = 600
#: Highlight colour of changed atoms (light orange, readable on light and dark backgrounds).
HIGHLIGHT = (1.0, 0.62, 0.25)

_STYLE = re.compile(
    r"style='fill:none;fill-rule:evenodd;stroke:(#[0-9A-Fa-f]{6});stroke-width:([0-9.]+)px;"
    r"stroke-linecap:(\w+);stroke-linejoin:miter;stroke-opacity:1'"
)
_TEXT = re.compile(
    r"style='font-size:(\d+)px;font-style:normal;font-weight:normal;fill-opacity:1;stroke:none;"
    r"font-family:sans-serif;text-anchor:start;fill:(#[0-9A-Fa-f]{6})' ?"
)
_SHAPE_STYLE = re.compile(r"(<(?:path|ellipse|rect|polygon)\b[^>]*?) style='([^']*)'")
#: SVG defaults: dropping them changes no pixel.
_DEFAULTS = {
    "fill-opacity": "1",
    "stroke-opacity": "1",
    "stroke-linecap": "butt",
    "stroke-linejoin": "miter",
    "font-style": "normal",
    "font-weight": "normal",
}
_CLASS = re.compile(r" class='[^']*'")
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_NUM = re.compile(r"(\d+\.\d)\d+")


def minify_svg(svg: str) -> str:
    """RDKit's SVG with the XML header, comments, classes and repeated styles removed.

    The drawing is unchanged: every bond path keeps its colour, width and cap as attributes.
    """
    start = svg.find("<svg")
    svg = svg[start:] if start >= 0 else svg
    svg = _COMMENT.sub("", svg)
    svg = _CLASS.sub("", svg)
    svg = _STYLE.sub(
        lambda m: (
            f"fill='none' stroke='{m.group(1)}' stroke-width='{float(m.group(2)):g}'"
            + ("" if m.group(3) == "butt" else f" stroke-linecap='{m.group(3)}'")
        ),
        svg,
    )
    svg = _SHAPE_STYLE.sub(_shape_attrs, svg)
    svg = _TEXT.sub(r"font-size='\1' font-family='sans-serif' fill='\2'", svg)
    svg = _NUM.sub(r"\1", svg)
    svg = _BLOCK.sub(_merge_block, svg)
    return re.sub(r"\s*\n\s*", "\n", svg)


_PATH = re.compile(
    r"<path d='([^']*)' fill='none' stroke='(#[0-9A-Fa-f]{6})' stroke-width='([0-9.]+)'"
    r"( stroke-linecap='\w+')? />"
)
_BLOCK = re.compile(
    r"(?:<path d='[^']*' fill='none' stroke='#[0-9A-Fa-f]{6}' stroke-width='[0-9.]+'"
    r"(?: stroke-linecap='\w+')? />\s*)+"
)


def _merge_block(block: re.Match) -> str:
    """One path per (colour, width, cap) for a run of bond strokes: same pixels, fewer bytes."""
    groups: dict[tuple[str, str, str], list[str]] = {}
    for m in _PATH.finditer(block.group(0)):
        d = re.sub(r" ?([ML]) ", r"\1", m.group(1)).replace(",", " ")
        groups.setdefault((m.group(2), m.group(3), m.group(4) or ""), []).append(d)
    return "".join(
        f"<path d='{''.join(ds)}' fill='none' stroke='{c}' stroke-width='{w}'{cap}/>\n"
        for (c, w, cap), ds in groups.items()
    )


def _shape_attrs(m: re.Match) -> str:
    """``style='a:b;c:d'`` of a shape as presentation attributes, defaults dropped."""
    attrs = []
    props = dict(
        (k.strip(), v.strip())
        for k, _, v in (item.partition(":") for item in m.group(2).split(";") if ":" in item)
    )
    for key, value in props.items():
        if _DEFAULTS.get(key) == value or key == "stroke-miterlimit":
            continue
        if key == "fill-rule" and props.get("fill") == "none":
            continue
        if key == "stroke-width" and value.endswith("px"):
            value = f"{float(value[:-2]):g}"
        attrs.append(f"{key}='{value}'")
    return m.group(1) + (" " + " ".join(attrs) if attrs else "")


def placeholder(width: int, height: int, label: str) -> str:
    """A grey box with ``label`` (escaped) where a drawing was skipped."""
    return (
        f"<div class='ma-nodraw' style='width:{int(width)}px;height:{int(height)}px' "
        f"title='{html.escape(label, quote=True)}'>{html.escape(label)}</div>"
    )


def draw(
    smiles: object,
    width: int = 150,
    height: int = 110,
    *,
    highlight: Iterable[int] | None = None,
    title: str | None = None,
    heavy_atoms: float | None = None,
    refused: str | None = None,
) -> str:
    """An ``<img>`` of ``smiles`` (or a placeholder ``<div>``), every data string escaped.

    Parameters
    ----------
    smiles : str
        Structure; fragments with ``[*:n]`` attachment points draw their labels.
    width, height : int
        Pixels.
    highlight : iterable of int, optional
        Atom indices (in ``Chem.MolFromSmiles(smiles)`` order) drawn highlighted with their
        bonds.
    title : str, optional
        Tooltip.
    heavy_atoms : float, optional
        Known heavy-atom count; above :data:`MAX_DRAW_HEAVY_ATOMS` nothing is parsed.
    refused : str, optional
        Why the audit refused the row (``too_large``, an error code): drawn as a placeholder.
    """
    if refused:
        return placeholder(width, height, f"not drawn: {refused}")
    if not isinstance(smiles, str) or not smiles:
        return placeholder(width, height, "no structure")
    if len(smiles) > MAX_DRAW_SMILES or (
        heavy_atoms is not None
        and heavy_atoms == heavy_atoms
        and heavy_atoms > MAX_DRAW_HEAVY_ATOMS
    ):
        return placeholder(width, height, f"not drawn: > {MAX_DRAW_HEAVY_ATOMS} heavy atoms")
    uri = _uri(smiles, int(width), int(height), tuple(sorted(set(highlight or ()))))
    if uri is None:
        return placeholder(width, height, "unreadable structure")
    tip = f' title="{html.escape(title, quote=True)}"' if title else ""
    return (
        f'<img src="{uri}" width="{int(width)}" height="{int(height)}" '
        f'alt="{html.escape(smiles, quote=True)}"{tip}>'
    )


@lru_cache(maxsize=4096)
def _uri(smiles: str, width: int, height: int, highlight: tuple[int, ...]) -> str | None:
    svg = _svg(smiles, width, height, highlight)
    if svg is None:
        return None
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


def _mol(smiles: str):
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    try:
        mol = Chem.MolFromSmiles(smiles)
        if mol is None:
            mol = Chem.MolFromSmiles(smiles, sanitize=False)
            if mol is not None:
                mol.UpdatePropertyCache(strict=False)
        return mol
    finally:
        RDLogger.EnableLog("rdApp.*")


def _label_attachments(mol: Any) -> None:
    """Draw ``[*:n]`` attachment points as R-group labels (R1, R2 ...), as a chemist writes
    a core or a substituent, instead of RDKit's ``*:n``."""
    for atom in mol.GetAtoms():
        n = atom.GetAtomMapNum()
        if atom.GetAtomicNum() == 0 and n > 0:
            atom.SetProp("_displayLabel", f"R<sub>{n}</sub>")
            atom.SetAtomMapNum(0)


def _svg(smiles: str, width: int, height: int, highlight: tuple[int, ...]) -> str | None:
    from rdkit.Chem.Draw import rdMolDraw2D

    mol = _mol(smiles)
    if mol is None:
        return None
    if mol.GetNumHeavyAtoms() > MAX_DRAW_HEAVY_ATOMS:
        return None
    _label_attachments(mol)
    atoms = [a for a in highlight if a < mol.GetNumAtoms()]
    bonds = [
        b.GetIdx()
        for b in mol.GetBonds()
        if b.GetBeginAtomIdx() in set(atoms) and b.GetEndAtomIdx() in set(atoms)
    ]
    colours = {a: HIGHLIGHT for a in atoms}
    bond_colours = {b: HIGHLIGHT for b in bonds}
    drawer = rdMolDraw2D.MolDraw2DSVG(width, height, -1, -1, True)  # True: <text>, not glyphs
    opts = drawer.drawOptions()
    opts.clearBackground = False
    opts.padding = 0.06
    # small fragments keep a chemist's bond length instead of filling the box
    opts.fixedBondLength = 22 if width <= 130 else 26
    opts.maxFontSize = 14
    try:
        rdMolDraw2D.PrepareAndDrawMolecule(
            drawer,
            mol,
            highlightAtoms=atoms,
            highlightBonds=bonds,
            highlightAtomColors=colours,
            highlightBondColors=bond_colours,
        )
    except Exception:  # odd valences of unsanitized input: draw the raw atoms
        drawer = rdMolDraw2D.MolDraw2DSVG(width, height, -1, -1, True)
        drawer.drawOptions().prepareMolsBeforeDrawing = False
        drawer.drawOptions().clearBackground = False
        drawer.DrawMolecule(mol)
    drawer.FinishDrawing()
    return minify_svg(drawer.GetDrawingText())


def changed_atoms(smiles: str, constant: str) -> list[int]:
    """Atoms of ``smiles`` outside the matched-pair ``constant`` (the variable part).

    ``constant`` is an mmpdb constant with ``[*:n]`` attachment points (``'.'``-joined for
    double and triple cuts); its non-dummy atoms are matched in the molecule and every other
    atom is the changed part. Empty when the constant does not match (nothing is guessed).
    """
    from rdkit import Chem

    mol = _mol(smiles)
    core = _mol(constant)
    if mol is None or core is None:
        return []
    core = Chem.RWMol(core)
    for atom in sorted(
        (a.GetIdx() for a in core.GetAtoms() if a.GetAtomicNum() == 0), reverse=True
    ):
        core.RemoveAtom(atom)
    params = Chem.SubstructMatchParameters()
    params.useChirality = False
    match = mol.GetSubstructMatch(core, params)
    if not match:
        return []
    kept = set(match)
    return [a.GetIdx() for a in mol.GetAtoms() if a.GetIdx() not in kept]


def mcs_difference(smiles_1: str, smiles_2: str, timeout: int = 1) -> tuple[list[int], list[int]]:
    """Atoms of each molecule outside their maximum common substructure (RDKit FMCS).

    Rings match only rings and complete rings only, so a changed ring substituent is not
    explained away by a half-ring match. ``([], [])`` when no MCS is found in ``timeout`` s.
    """
    from rdkit import Chem
    from rdkit.Chem import rdFMCS

    m1, m2 = _mol(smiles_1), _mol(smiles_2)
    if m1 is None or m2 is None:
        return [], []
    res = rdFMCS.FindMCS(
        [m1, m2], timeout=int(timeout), ringMatchesRingOnly=True, completeRingsOnly=True
    )
    if not res.numAtoms:
        return [], []
    query = Chem.MolFromSmarts(res.smartsString)
    out = []
    for mol in (m1, m2):
        match = set(mol.GetSubstructMatch(query))
        out.append([a.GetIdx() for a in mol.GetAtoms() if a.GetIdx() not in match] if match else [])
    return out[0], out[1]
