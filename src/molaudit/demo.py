"""``molaudit demo``: audit the bundled ChEMBL set and run every analytic on it."""

from __future__ import annotations

import json
import time
from importlib import resources
from pathlib import Path
from typing import Any

from molaudit.analytics import REGISTRY

#: Parameters the demo uses for analytics that need a choice.
DEMO_PARAMS: dict[str, list[dict[str, Any]]] = {
    "chemical_space": [{"method": "pca"}, {"method": "umap"}, {"method": "tsne"}],
    "activity_cliffs": [{"definition": "moleculeace"}, {"definition": "sali"}],
    "similarity_matrix": [{"rows": list(range(50))}],
    "similar": [{"query": 0, "k": 10}],  # the ten nearest molecules to input row 0
    "substructure": [{"query": "C1CCNCC1"}],  # piperidines (a SMARTS safe in a file name)
}


def demo_data_path() -> Path:
    """Path of the bundled MoleculeACE CHEMBL231_Ki set (MIT)."""
    return Path(str(resources.files("molaudit") / "data" / "CHEMBL231_Ki.csv"))


def run_demo(
    outdir: str | Path = "molaudit-demo",
    *,
    n_jobs: int = -1,
    cache_dir: str | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Audit the bundled set, run every registered analytic, write results to ``outdir``.

    Returns
    -------
    dict
        The batch summary plus ``analytics``: per analytic and parameter set, the seconds it
        took and its summary or the message/error.
    """
    from molaudit.api import audit

    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    batch = audit(
        demo_data_path(), n_jobs=n_jobs, cache_dir=cache_dir, progress=progress, activity_units="nM"
    )
    summary = batch.summary()
    print(
        f"audited {summary['n_rows']} molecules from {Path(batch.source).name} in "
        f"{time.perf_counter() - t0:.1f} s: {summary['by_status']}"
    )
    print(f"columns: {summary['columns']} (activity units: {summary['activity_units']})")
    top_checks = list(summary["by_check"].items())[:6]
    print("top checks: " + ", ".join(f"{k} {v}" for k, v in top_checks))
    table_path = batch.export(outdir / "audit.csv")
    results: dict[str, Any] = {}
    for name, spec in REGISTRY.items():
        for params in DEMO_PARAMS.get(name, [{}]):
            label = name + (
                ""
                if not params
                else "("
                + ", ".join(
                    f"{k}={v if not isinstance(v, list) else f'[{len(v)} rows]'}"
                    for k, v in params.items()
                )
                + ")"
            )
            t1 = time.perf_counter()
            try:
                result = batch.analytics.run(name, **params)
            except Exception as exc:  # shown, not hidden: the demo is also a smoke test
                results[label] = {"error": f"{type(exc).__name__}: {exc}"}
                print(f"  {label:<45} FAILED {type(exc).__name__}: {exc}")
                continue
            seconds = time.perf_counter() - t1
            brief = {k: v for k, v in result.summary.items() if isinstance(v, int | float | str)}
            results[label] = {
                "seconds": round(seconds, 2),
                "summary": brief,
                "message": result.message,
                "kind": spec.kind,
            }
            shown = ", ".join(f"{k}={_brief(v)}" for k, v in list(brief.items())[:4])
            print(f"  {label:<45} {seconds:6.1f} s  {result.message or shown}")
            for frame_name, frame in result.frames.items():
                frame.to_csv(outdir / f"{name}{_suffix(params)}.{frame_name}.csv", index=False)
    report = None
    try:
        report = batch.export(outdir / "report.html")
    except Exception as exc:
        print(f"HTML report not written: {type(exc).__name__}: {exc}")
    summary["analytics"] = results
    (outdir / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    print(f"table: {table_path}")
    if report is not None:
        print(f"report: {report} (self-contained, opens offline)")
    print(f"summary: {outdir / 'summary.json'}  ·  batch key {batch.key}")
    return summary


def _brief(value: Any, limit: int = 40) -> str:
    text = f"{value:.4g}" if isinstance(value, float) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _suffix(params: dict[str, Any]) -> str:
    parts = [str(v) for k, v in params.items() if isinstance(v, str)]
    return ("_" + "_".join(parts)) if parts else ""
