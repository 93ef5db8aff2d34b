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

__all__ = ["depict_svg", "img_tag", "svg_data_uri"]

_EMPTY_SVG = (
    "<svg xmlns='http://www.w3.org/2000/svg' width='{w}' height='{h}' viewBox='0 0 {w} {h}'>"
    "<text x='50%' y='50%' font-size='11' fill='#999' text-anchor='middle'>{label}</text></svg>"
)


@lru_cache(maxsize=8192)
def depict_svg(smiles: str, width: int = 160, height: int = 110) -> str:
    """SVG drawing of a SMILES (a grey placeholder when it cannot be parsed).

    Parameters
    ----------
    smiles : str
        Structure to draw; parsed without sanitization as a fallback so that error rows still
        show something where RDKit can read the atoms.
    width, height : int
        Size in pixels.

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
        try:
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


def svg_data_uri(smiles: str, width: int = 160, height: int = 110) -> str:
    """``data:image/svg+xml;base64,...`` URI of :func:`depict_svg`."""
    return _data_uri(smiles, width, height)


@lru_cache(maxsize=8192)
def _data_uri(smiles: str, width: int, height: int) -> str:
    svg = depict_svg(smiles, width, height)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


def img_tag(smiles: str, width: int = 160, height: int = 110, title: str | None = None) -> str:
    """An ``<img>`` element showing the structure; ``title`` (and the alt SMILES) escaped."""
    alt = html.escape(smiles if isinstance(smiles, str) else "", quote=True)
    tip = f' title="{html.escape(title, quote=True)}"' if title else ""
    return (
        f'<img src="{svg_data_uri(smiles, width, height)}" width="{int(width)}" '
        f'height="{int(height)}" alt="{alt}"{tip}>'
    )
