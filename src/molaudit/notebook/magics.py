"""``%molaudit`` and ``%%molaudit``: audit a DataFrame, a list, a file or pasted SMILES.

Load with ``%load_ext molaudit`` (importing molaudit inside IPython registers them too).
"""

from __future__ import annotations

import keyword
import os
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from molaudit.ingest.cell_text import parse_smiles_block

__all__ = ["MolauditMagics", "load_ipython_extension", "parse_smiles_block"]


@magics_class
class MolauditMagics(Magics):
    """The molaudit magics (see ``%molaudit?``)."""

    @magic_arguments()
    @argument(
        "data",
        nargs="?",
        default=None,
        help="name of a variable (DataFrame, Series, list of SMILES or Mol) or a file path "
        "(.csv .tsv .smi .sdf .parquet .xlsx). Leave out with %%%%molaudit, whose cell body "
        "holds one 'SMILES [id [activity]]' per line.",
    )
    @argument("--smiles-col", default=None, help="column with the SMILES (auto-detected)")
    @argument("--id-col", default=None, help="column with the molecule IDs (auto-detected)")
    @argument("--activity-col", default=None, help="column with the activity values")
    @argument("--n-jobs", type=int, default=-1, help="worker processes (-1 = all cores)")
    @argument("--no-cache", action="store_true", help="neither read nor write the result cache")
    @argument(
        "--analytics",
        default="",
        help="comma-separated expensive analytics to run after the audit "
        "(e.g. 'scaffolds,clusters'; 'all' = every available one)",
    )
    @argument("-o", "--output", default="_molaudit", help="variable bound to the Batch")
    @argument("-q", "--quiet", action="store_true", help="no progress bar and no panel")
    @line_cell_magic
    def molaudit(self, line: str = "", cell: str | None = None) -> None:
        """Audit molecules and show the molaudit panel; the Batch is bound to ``-o NAME``.

        Examples
        --------
        ``%molaudit df --smiles-col smiles --activity-col pIC50 -o batch``

        ``%%molaudit -o tiny`` followed by lines such as ``CCO ethanol 5.2``.
        """
        args = parse_argstring(self.molaudit, line)
        data, defaults = self._resolve_data(args.data, cell)
        name = args.output
        if not name.isidentifier() or keyword.iskeyword(name):
            raise UsageError(f"-o/--output must be a Python identifier, got {name!r}")
        if args.n_jobs == 0 or args.n_jobs < -1:
            raise UsageError(f"--n-jobs must be -1 or a positive integer, got {args.n_jobs}")
        analytics = _parse_analytics(args.analytics)

        from molaudit.api import audit

        kwargs: dict[str, Any] = {
            "smiles_col": args.smiles_col or defaults.get("smiles_col"),
            "id_col": args.id_col or defaults.get("id_col"),
            "activity_col": args.activity_col or defaults.get("activity_col"),
            "n_jobs": args.n_jobs,
            "cache": not args.no_cache,
            "progress": _tqdm_progress() if not args.quiet else False,
        }
        try:
            batch = audit(data, **kwargs)
        except ValueError as exc:
            # bad column names and the like are the user's input: show the reason, no traceback
            raise UsageError(str(exc)) from exc
        self.shell.user_ns[name] = batch
        for analytic in analytics:
            batch.analytics.run(analytic)
        if not args.quiet:
            from IPython.display import display

            from molaudit.notebook.panel import Panel

            display(Panel(batch))
        return None

    def _resolve_data(self, data: str | None, cell: str | None) -> tuple[Any, dict[str, str]]:
        if cell is not None:
            if data:
                raise UsageError(
                    "%%molaudit takes its molecules from the cell body; leave out DATA "
                    f"(got {data!r})"
                )
            frame = parse_smiles_block(cell)
            if frame.empty:
                raise UsageError("%%molaudit: the cell body has no SMILES lines")
            cols = {"smiles_col": "smiles"}
            if "id" in frame.columns:
                cols["id_col"] = "id"
            if "activity" in frame.columns:
                cols["activity_col"] = "activity"
            return frame, cols
        if not data:
            raise UsageError(
                "%molaudit needs DATA: a variable name or a file path (see %molaudit?)"
            )
        if len(data) > 1 and data[0] == data[-1] and data[0] in "'\"":
            data = data[1:-1]
        ns = self.shell.user_ns
        if data in ns:
            return ns[data], {}
        if data.isidentifier() and not os.path.exists(data):
            raise UsageError(f"DATA: no variable or file named {data!r}")
        path = os.path.expanduser(data)
        if not os.path.exists(path):
            raise UsageError(f"DATA: file {data!r} not found")
        return path, {}


def _tqdm_progress():
    """A ``progress(done, total)`` callback drawing a tqdm.auto bar (a widget in Jupyter)."""
    from tqdm.auto import tqdm

    bar = None

    def report(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            # tqdm throttles its own redraws (mininterval), so every call may go through
            bar = tqdm(total=total, unit="mol", desc="molaudit", mininterval=0.2)
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return report


def _parse_analytics(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        return []
    from molaudit.analytics import REGISTRY, ParameterError, parse_analytics_arg

    if names == ["all"]:
        return [n for n, spec in REGISTRY.items() if spec.kind == "expensive" and spec.available]
    try:  # the check the CLI makes too (did-you-mean included)
        return parse_analytics_arg(names)
    except ParameterError as exc:
        raise UsageError(str(exc)) from None


def load_ipython_extension(ip) -> None:
    """Register the molaudit magics with an IPython shell (``%load_ext molaudit``)."""
    ip.register_magics(MolauditMagics)
