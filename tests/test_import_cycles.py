"""No import cycle between fleetops' modules, counting every import a module spells out; and
runbooks and control meet only at the fleet port.

An import under `if TYPE_CHECKING:` or inside a function still ties the two modules together (a
reader has to know both, and the lazy import only hides the cycle from Python), so both count.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import fleetops

PACKAGE_DIR = Path(fleetops.__file__).parent


def package_modules(package_dir: Path) -> dict[str, Path]:
    """Every module of the package by dotted name; a package is its `__init__.py`."""
    modules: dict[str, Path] = {}
    for path in package_dir.rglob("*.py"):
        parts = list(path.relative_to(package_dir.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def imported_names(module: str, path: Path) -> Iterator[str]:
    """Dotted names a module imports, anywhere in it; `from a import b` names `a.b`, a module or not."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package
                for _ in range(node.level - 1):
                    anchor = anchor.rpartition(".")[0]
                base = f"{anchor}.{base}" if base else anchor
            yield from (f"{base}.{alias.name}" for alias in node.names)


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the package modules it imports (a name resolves to its longest module prefix)."""
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for imported in imported_names(name, path):
            target = imported
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph[successor]))))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component: set[str] = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(frozenset(component))
    return found


def test_the_graph_sees_type_checking_and_function_level_imports(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.b import B\n"
    )
    (package / "b.py").write_text("def f() -> None:\n    from . import c\n    from .c import name\n")
    (package / "c.py").write_text("import pkg.a\n")
    graph = import_graph(package_modules(package))
    assert graph == {"pkg": set(), "pkg.a": {"pkg.b"}, "pkg.b": {"pkg.c"}, "pkg.c": {"pkg.a"}}
    assert cycles(graph) == [frozenset({"pkg.a", "pkg.b", "pkg.c"})]


def test_no_import_cycle_between_modules() -> None:
    # 8 cycles (57 of 258 modules) when this test was written; removed in issue 10.
    assert [sorted(cycle) for cycle in cycles(import_graph(package_modules(PACKAGE_DIR)))] == []


def test_runbooks_and_control_meet_only_at_the_port() -> None:
    # The runbooks act on a fleet through runbooks/ports.py, which control implements; control
    # starts runbooks through their package's public names (the definitions in the package, the
    # same definitions as Step Functions runs them in activities.py, how to run them in its wiring
    # module). Nothing else crosses.
    graph = import_graph(package_modules(PACKAGE_DIR))
    crossings = sorted(
        (module, imported)
        for module, targets in graph.items()
        for imported in targets
        if (module.startswith("fleetops.runbooks") and imported.startswith("fleetops.control"))
        or (
            module.startswith("fleetops.control")
            and imported.startswith("fleetops.runbooks")
            and imported
            not in (
                "fleetops.runbooks",
                "fleetops.runbooks.activities",
                "fleetops.runbooks.ports",
                "fleetops.runbooks.wiring",
            )
        )
    )
    assert crossings == []
