"""No import cycles inside molaudit, counting lazy (function-level) imports too.

The checker walks every module of ``src/molaudit`` with :mod:`ast` and collects each ``import``
and ``from ... import`` statement wherever it stands: at module level, inside functions,
methods, ``try`` blocks and conditionals. A function-level import is still a dependency: it
only hides a cycle until the function runs. Each statement becomes an edge from the importing
module to the imported module; for ``from package import name`` the edge goes to
``package.name`` when that is a module of the package, else to ``package`` itself.

What is not an edge:

* imports under ``if TYPE_CHECKING:`` (they never run; annotations only),
* the implicit import of parent packages (``import a.b.c`` runs ``a/__init__`` and
  ``a/b/__init__`` first, but a package's ``__init__`` that re-exports its children would make
  every child look cyclic; the edge is to the module named),
* imports of other distributions (rdkit, numpy, ...).

On failure the message prints every cycle found (one per strongly connected component), as
``a -> b -> c -> a`` with the line of each import.
"""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "molaudit"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement of a module, at any depth, except TYPE_CHECKING blocks."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def import_graph() -> dict[str, dict[str, int]]:
    """``{module: {imported module: line of the first such import}}`` inside molaudit."""
    files = {_module_name(p): p for p in (SRC / PACKAGE).rglob("*.py")}
    graph: dict[str, dict[str, int]] = {name: {} for name in files}
    for name, path in files.items():
        is_package = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in _imports(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                if node.level:
                    base = name.split(".") if is_package else name.split(".")[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                for alias in node.names:
                    child = f"{source}.{alias.name}"
                    targets.append(child if child in files else source)
            for target in targets:
                if target in files and target != name:
                    graph[name].setdefault(target, node.lineno)
    return graph


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """One cycle per strongly connected component of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = [0]

    def strongconnect(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(component)

    for v in sorted(graph):
        if v not in index:
            strongconnect(v)
    found = []
    for component in components:
        members = set(component)
        start = min(component)
        # shortest path back to start inside the component (breadth first)
        parent: dict[str, str] = {}
        frontier = [start]
        seen = {start}
        closing = None
        while frontier and closing is None:
            nxt = []
            for v in frontier:
                for w in sorted(graph[v]):
                    if w == start:
                        closing = v
                        break
                    if w in members and w not in seen:
                        seen.add(w)
                        parent[w] = v
                        nxt.append(w)
                if closing is not None:
                    break
            frontier = nxt
        path = [start]
        v = closing
        while v is not None and v != start:
            path.insert(1, v)
            v = parent.get(v)
        found.append([*path, start])
    return found


def _describe(graph: dict[str, dict[str, int]], cycle: list[str]) -> str:
    steps = [f"{a} (line {graph[a][b]})" for a, b in itertools.pairwise(cycle)]
    return " -> ".join([*steps, cycle[-1]])


def test_the_graph_sees_lazy_and_relative_imports() -> None:
    graph = import_graph()
    # molaudit/__init__.py imports molaudit.notebook.panel only inside __getattr__
    assert "molaudit.notebook.panel" in graph["molaudit"]
    # a module-level import of a sibling module
    assert "molaudit.analytics.similarity.index" in graph["molaudit.analytics.similarity.search"]
    assert len(graph) > 50


def test_the_cycle_finder_on_a_made_up_graph() -> None:
    graph = {"a": {"b": 1}, "b": {"c": 2}, "c": {"a": 3, "d": 4}, "d": {}, "e": {"e": 1}}
    assert cycles(graph) == [["a", "b", "c", "a"]]
    assert _describe(graph, ["a", "b", "c", "a"]) == "a (line 1) -> b (line 2) -> c (line 3) -> a"


def test_no_import_cycles() -> None:
    graph = import_graph()
    found = cycles(graph)
    message = "\n".join(_describe(graph, c) for c in found)
    assert not found, f"{len(found)} import cycle(s) inside molaudit:\n{message}"
