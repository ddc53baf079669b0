"""The package's import graph: no cycles, and no module imports from a higher layer (README "Layout").

Every import of the project's modules is read with `ast`, at module level and inside functions alike.
A module may import from a lower layer or from its own package (folder), never from a higher layer
or from a sibling package of the same layer.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "pipeline"

# The layer order, bottom to top, written once: (README layer, packages or modules of `pipeline`).
# Layer 0 is ordered inside (errors < models < rules < text); the units of layer 6 form one unit.
LAYERS: list[tuple[int, set[str]]] = [
    (0, {"errors"}),
    (0, {"models"}),
    (0, {"rules"}),
    (0, {"text"}),
    (1, {"extract"}),
    (2, {"normalize"}),
    (3, {"fetch", "store"}),
    (4, {"crawl", "serve"}),
    (5, {"jobs"}),
    (6, {"cli", "cli_*", "__main__", "__init__"}),
]
TOP = 6


def _unit(module: str) -> str:
    """'pipeline.store.pages' -> 'store'; 'pipeline' -> '__init__'; 'pipeline.cli_progress' -> 'cli_progress'."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _rank(unit: str) -> int:
    for rank, (_, names) in enumerate(LAYERS):
        if unit in names or any(n.endswith("*") and unit.startswith(n[:-1]) for n in names):
            return rank
    raise AssertionError(f"pipeline/{unit} is in no layer: add it to LAYERS in tests/test_layers.py and to the README")


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, name: str) -> set[str]:
    """The project modules that the file imports (absolute or relative, any depth in the file)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_pkg = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.split(".")[0] == "pipeline")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_pkg else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "pipeline":
                continue
            names_a_module = False
            for alias in node.names:  # `from pipeline.store import pages` imports a module
                candidate = f"{target}.{alias.name}"
                if (PACKAGE.parent / candidate.replace(".", "/")).with_suffix(".py").exists() or \
                        (PACKAGE.parent / candidate.replace(".", "/") / "__init__.py").exists():
                    out.add(candidate)
                    names_a_module = True
            if not names_a_module:
                out.add(target)
    return out


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: {t for t in _imports(path, name) if t in modules and t != name} for name, path in modules.items()}


def test_every_import_goes_down_the_layers_or_stays_in_its_package() -> None:
    bad = []
    for module, targets in _graph().items():
        unit = _unit(module)
        for target in targets:
            other = _unit(target)
            same = other == unit or LAYERS[_rank(other)][0] == LAYERS[_rank(unit)][0] == TOP
            if not same and _rank(other) >= _rank(unit):
                bad.append(f"{module} (layer {LAYERS[_rank(unit)][0]}) imports {target} (layer {LAYERS[_rank(other)][0]})")
    assert bad == []


def test_there_is_no_import_cycle() -> None:
    graph = _graph()
    # a package's __init__ re-exporting its own modules is not a cycle through them
    edges = {m: {t for t in ts if not (m.startswith(t + ".") and t in graph)} for m, ts in graph.items()}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(path[path.index(nxt):] + [nxt] if nxt in path else [node, nxt])
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for start in sorted(edges):
        if start not in state:
            visit(start, [start])
    assert cycles == []


def test_modules_stay_small() -> None:
    big = {str(p.relative_to(PACKAGE.parent)): n for p in PACKAGE.rglob("*.py")
           if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400}
    assert big == {}


def test_the_checker_sees_an_upward_import_and_a_cycle() -> None:
    """The walk itself: an upward import and a cycle written as text are found."""
    tree = ast.parse("from pipeline.jobs.process import process\nfrom ..store import pages\n")
    names = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert names == {"pipeline.jobs.process", "store"}
    assert _rank(_unit("pipeline.jobs.process")) > _rank(_unit("pipeline.extract.html"))
    assert _rank(_unit("pipeline.cli_progress")) == _rank(_unit("pipeline.cli"))
