"""The README's example runs as written."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_starts_with_two_commands():
    text = README.read_text()
    first_block = re.search(r"```bash\n(.*?)```", text, re.S).group(1)
    commands = [ln.split("#")[0].strip() for ln in first_block.splitlines() if ln.strip()]
    assert commands == ["make demo", "make test"]


def test_readme_python_example_runs(tmp_path, monkeypatch, quiet):
    code = re.search(r"```python\n(.*?)```", README.read_text(), re.S).group(1)
    assert len(code.strip().splitlines()) <= 6
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    batch = namespace["batch"]
    assert len(batch.table) == 973
    assert (tmp_path / "audited.csv").exists()


def _layout_rows() -> list[tuple[str, str]]:
    section = README.read_text().split("## Layout", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[1].startswith("`"):
            rows.append((cells[0], cells[1]))
    return rows


def test_readme_layout_table_matches_the_tree():
    package = Path(__file__).resolve().parents[1] / "src" / "molaudit"
    rows = _layout_rows()
    assert len(rows) >= 6
    listed_files: set[Path] = set()
    listed_packages: set[str] = set()
    for _stage, where in rows:
        names = re.findall(r"`([\w./]+)`", where)
        head = names[0]
        if head.endswith("/"):  # a subpackage and the modules named in it
            listed_packages.add(head.rstrip("/"))
            assert (package / head / "__init__.py").exists(), head
            for name in names[1:]:
                path = package / head / name if not name.endswith("/") else package / head
                assert path.exists(), f"README layout names {head}{name}, which does not exist"
                listed_files.add(path)
        else:
            for name in names:
                assert (package / name).exists(), f"README layout names {name}, missing"
                listed_files.add(package / name)
    actual_packages = {
        p.parent.name for p in package.glob("*/__init__.py")
    }
    top_listed = {name for name in listed_packages if "/" not in name}
    assert actual_packages == top_listed, "every top-level subpackage is in the table"
    nested = {p.parent.relative_to(package).as_posix() for p in package.glob("*/*/__init__.py")}
    assert nested - {"notebook/views"} <= listed_packages, "analytics subpackages are in the table"
    top_modules = {p for p in package.glob("*.py") if not p.name.startswith("_")}
    missing = sorted(p.name for p in top_modules - listed_files)
    assert not missing, f"top-level modules missing from the README layout: {missing}"
    stage_packages = ("ingest", "molecule", "run", "analytics/similarity", "analytics/mmp")
    for sub in stage_packages:  # stage packages list every module
        modules = {p for p in (package / sub).glob("*.py") if p.name != "__init__.py"}
        unlisted = sorted(p.name for p in modules - listed_files)
        assert not unlisted, f"{sub}/ modules missing from the README layout: {unlisted}"
