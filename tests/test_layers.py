"""The package's layers run one way, and no modules import each other in a circle.

Layers, lowest first: core <- ingest <- spend <- contracts <- plan <- output <- top (ui, cli, summary,
sample, the pages and app.py). A module may import from its own layer or any layer below, never above.
Every import counts, at the top of a file or inside a function (an import put inside a function to get
round a cycle is still the cycle). LAYER_OF places each module; a new module must be given its layer here.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

LAYERS = ("core", "ingest", "spend", "contracts", "plan", "output", "top")

# Each module's layer, by dotted name; a name ending in '.' places every module under that package.
LAYER_OF: dict[str, str] = {
    # core: the workspace file, SQL and its macros, definitions, settings, words (the one home of formatting),
    # configuration, sign-in, backup, formula-safe cells.
    "sp_analysis": "core",
    "sp_analysis.workspace": "core",
    "sp_analysis.sql_macros": "core",
    "sp_analysis.sql": "core",
    "sp_analysis.definitions": "core",
    "sp_analysis.settings": "core",
    "sp_analysis.words": "core",
    "sp_analysis.config": "core",
    "sp_analysis.access": "core",
    "sp_analysis.backup": "core",
    "sp_analysis.exports": "core",
    # Each room is its own layer: every module in the folder belongs to it.
    "sp_analysis.ingest": "ingest",
    "sp_analysis.ingest.": "ingest",
    "sp_analysis.spend": "spend",
    "sp_analysis.spend.": "spend",
    "sp_analysis.contracts": "contracts",
    "sp_analysis.contracts.": "contracts",
    "sp_analysis.plan": "plan",
    "sp_analysis.plan.": "plan",
    "sp_analysis.output": "output",
    "sp_analysis.output.": "output",
    # top: what people run.
    "sp_analysis.ui": "top",
    "sp_analysis.cli": "top",
    "sp_analysis.__main__": "top",
    "sp_analysis.summary": "top",
    "sp_analysis.sample": "top",
    "views.": "top",
    "app": "top",
}


def _module_files() -> dict[str, Path]:
    files = {p: p for p in (ROOT / "sp_analysis").rglob("*.py")} | {p: p for p in (ROOT / "views").glob("*.py")}
    files[ROOT / "app.py"] = ROOT / "app.py"
    names = {}
    for path in files:
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


MODULES = _module_files()


def layer_of(module: str) -> str | None:
    if module in LAYER_OF:
        return LAYER_OF[module]
    packages = [p for p in LAYER_OF if p.endswith(".") and module.startswith(p)]
    return LAYER_OF[max(packages, key=len)] if packages else None


def imports_of(module: str) -> set[str]:
    """The project modules `module` imports, anywhere in the file."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # 'from sp_analysis import analysis' names a module; 'from sp_analysis.spend.queries import X' a name in one.
            candidates = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for name in candidates:
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name and name != module:
                found.add(name)
    return found


GRAPH = {module: imports_of(module) for module in MODULES}


def test_every_module_has_a_layer() -> None:
    unplaced = sorted(m for m in MODULES if layer_of(m) is None)
    assert not unplaced, f"give these modules their layer in tests/test_layers.py LAYER_OF: {unplaced}"


def test_imports_never_run_back_up_the_layers() -> None:
    upward = [f"{m} ({layer_of(m)}) imports {i} ({layer_of(i)})"
              for m, targets in sorted(GRAPH.items()) for i in sorted(targets)
              if layer_of(m) and layer_of(i) and LAYERS.index(layer_of(i)) > LAYERS.index(layer_of(m))]  # type: ignore[arg-type]
    assert not upward, "imports that run up the layers:\n" + "\n".join(upward)


def test_the_package_never_imports_the_pages() -> None:
    assert not [m for m in GRAPH if m.startswith("sp_analysis") and any(not i.startswith("sp_analysis") for i in GRAPH[m])]


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_no_modules_import_each_other_in_a_circle() -> None:
    assert find_cycles(GRAPH) == []


def test_the_cycle_finder_finds_a_cycle_and_the_layer_rule_an_upward_arrow() -> None:
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []
    assert imports_of("sp_analysis.plan.framework") >= {"sp_analysis.plan.actions", "sp_analysis.workspace"}
    assert LAYERS.index(layer_of("sp_analysis.plan.actions")) > LAYERS.index(layer_of("sp_analysis.contracts.register"))  # type: ignore[arg-type]
    assert layer_of("sp_analysis.ingest.load") == "ingest" and layer_of("views.overview") == "top"
