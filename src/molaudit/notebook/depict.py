"""Structure depictions as SVG, cached, and safe to put into HTML.

Depictions go to the browser as ``data:image/svg+xml;base64,...`` URIs shown through
``<img>``: an image-loaded SVG never runs scripts and the URI alphabet cannot break out of an
attribute, so nothing from the data can become markup on this path. Text from the data that
accompanies a picture (IDs, SMILES) is escaped separately by the caller.
"""

from __future__ import annotations

import base64
import html
from functools import lru_cache

__all__ = [
    "alert_atoms",
    "depict_svg",
    "drawing_size",
    "img_tag",
    "smarts_atoms",
    "svg_data_uri",
]

_EMPTY_SVG = (
    "<svg xmlns='http://www.w3.org/2000/svg' width='{w}' height='{h}' viewBox='0 0 {w} {h}'>"
    "<text x='50%' y='50%' font-size='11' fill='#999' text-anchor='middle'>{label}</text></svg>"
)


#: Highlight colours: SMARTS matches (blue) and atoms a check flagged (orange).
SMARTS_COLOUR = (0.55, 0.75, 1.0)
ALERT_COLOUR = (1.0, 0.7, 0.35)


def drawing_size(heavy_atoms: int | None) -> tuple[int, int]:
    """Drawing size scaled to the molecule: ~126x90 px for ethanol up to 320x230 px.

    The side grows with the square root of the heavy-atom count (a drawing's area grows
    with the atom count), within bounds so that a page stays readable.
    """
    try:
        n = max(int(heavy_atoms), 1)  # type: ignore[arg-type]
    except (TypeError, ValueError):  # None, NaN, pd.NA
        n = 20
    side = min(max(38.0 * n**0.5, 90.0), 230.0)
    return round(min(side * 1.4, 320)), round(side)


@lru_cache(maxsize=8192)
def depict_svg(
    smiles: str,
    width: int = 160,
    height: int = 110,
    highlight: tuple[int, ...] = (),
    flagged: tuple[int, ...] = (),
) -> str:
    """SVG drawing of a SMILES (a grey placeholder when it cannot be parsed).

    Parameters
    ----------
    smiles : str
        Structure to draw; parsed without sanitization as a fallback so that error rows still
        show something where RDKit can read the atoms.
    width, height : int
        Size in pixels.
    highlight : tuple of int
        Atom indices to highlight in blue (a SMARTS match).
    flagged : tuple of int
        Atom indices to highlight in orange (atoms a structural alert matched).

    The background is transparent so that the drawing sits on the theme's colour (the
    table's CSS lightens the bonds in dark themes).

    Returns
    -------
    str
        A standalone SVG document (no XML declaration).
    """
    from rdkit import Chem, RDLogger
    from rdkit.Chem.Draw import rdMolDraw2D

    if not isinstance(smiles, str) or not smiles:
        return _EMPTY_SVG.format(w=width, h=height, label="no structure")
    RDLogger.DisableLog("rdApp.*")
    try:
        mol = Chem.MolFromSmiles(smiles)
        if mol is None:
            mol = Chem.MolFromSmiles(smiles, sanitize=False)
            if mol is not None:
                mol.UpdatePropertyCache(strict=False)
        if mol is None:
            return _EMPTY_SVG.format(w=width, h=height, label="unreadable")
        drawer = rdMolDraw2D.MolDraw2DSVG(width, height)
        opts = drawer.drawOptions()
        opts.clearBackground = False
        opts.padding = 0.05
        colours = {i: ALERT_COLOUR for i in flagged if 0 <= i < mol.GetNumAtoms()}
        colours.update({i: SMARTS_COLOUR for i in highlight if 0 <= i < mol.GetNumAtoms()})
        bonds: dict[int, tuple[float, float, float]] = {}
        for bond in mol.GetBonds():
            a, b = bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()
            if a in colours and b in colours and colours[a] == colours[b]:
                bonds[bond.GetIdx()] = colours[a]
        try:
            if colours:
                rdMolDraw2D.PrepareAndDrawMolecule(
                    drawer,
                    mol,
                    highlightAtoms=list(colours),
                    highlightAtomColors=colours,
                    highlightBonds=list(bonds),
                    highlightBondColors=bonds,
                )
            else:
                rdMolDraw2D.PrepareAndDrawMolecule(drawer, mol)
        except Exception:  # RDKit raises varied types for odd valences; draw raw atoms then
            drawer = rdMolDraw2D.MolDraw2DSVG(width, height)
            drawer.drawOptions().prepareMolsBeforeDrawing = False
            drawer.DrawMolecule(mol)
        drawer.FinishDrawing()
        svg = drawer.GetDrawingText()
    finally:
        RDLogger.EnableLog("rdApp.*")
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


def svg_data_uri(
    smiles: str,
    width: int = 160,
    height: int = 110,
    highlight: tuple[int, ...] = (),
    flagged: tuple[int, ...] = (),
) -> str:
    """``data:image/svg+xml;base64,...`` URI of :func:`depict_svg`."""
    return _data_uri(smiles, width, height, tuple(highlight), tuple(flagged))


@lru_cache(maxsize=8192)
def _data_uri(
    smiles: str, width: int, height: int, highlight: tuple[int, ...], flagged: tuple[int, ...]
) -> str:
    svg = depict_svg(smiles, width, height, highlight, flagged)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


def img_tag(smiles: str, width: int = 160, height: int = 110, title: str | None = None) -> str:
    """An ``<img>`` element showing the structure; ``title`` (and the alt SMILES) escaped."""
    alt = html.escape(smiles if isinstance(smiles, str) else "", quote=True)
    tip = f' title="{html.escape(title, quote=True)}"' if title else ""
    return (
        f'<img src="{svg_data_uri(smiles, width, height)}" width="{int(width)}" '
        f'height="{int(height)}" alt="{alt}"{tip}>'
    )


def _mol(smiles: str):
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    try:
        return Chem.MolFromSmiles(smiles) if isinstance(smiles, str) and smiles else None
    finally:
        RDLogger.EnableLog("rdApp.*")


@lru_cache(maxsize=4096)
def smarts_atoms(smiles: str, smarts: str) -> tuple[int, ...]:
    """Atoms of ``smiles`` matched by ``smarts`` (all matches), () when none or unparsable."""
    from rdkit import Chem

    mol = _mol(smiles)
    query = Chem.MolFromSmarts(smarts) if smarts else None
    if mol is None or query is None:
        return ()
    return tuple(sorted({i for match in mol.GetSubstructMatches(query) for i in match}))


@lru_cache(maxsize=4)
def _catalog(kind: str):
    from rdkit.Chem.FilterCatalog import FilterCatalog, FilterCatalogParams

    params = FilterCatalogParams()
    params.AddCatalog(
        FilterCatalogParams.FilterCatalogs.PAINS
        if kind == "pains"
        else FilterCatalogParams.FilterCatalogs.BRENK
    )
    return FilterCatalog(params)


@lru_cache(maxsize=4096)
def alert_atoms(smiles: str, pains: str = "", brenk: str = "") -> tuple[int, ...]:
    """Atoms matched by the named PAINS/Brenk alerts (';'-separated names, as in the audit's
    ``pains_alerts``/``brenk_alerts`` columns), found again with RDKit's FilterCatalog."""
    mol = _mol(smiles)
    if mol is None:
        return ()
    atoms: set[int] = set()
    for kind, names in (("pains", pains), ("brenk", brenk)):
        wanted = {n.strip() for n in str(names or "").split(";") if n.strip()}
        if not wanted:
            continue
        for entry in _catalog(kind).GetMatches(mol):
            if entry.GetDescription() in wanted:
                for match in entry.GetFilterMatches(mol):
                    atoms.update(int(a) for _, a in match.atomPairs)
    return tuple(sorted(atoms))
