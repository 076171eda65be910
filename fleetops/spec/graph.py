"""The dependency graph of a fleet: deployment waves (topological levels) and cycles as paths.

``deps`` maps each node to the nodes it depends on; a dependency is deployed in an earlier wave
than its dependents. Names a node depends on that are not keys of ``deps`` are ignored (the
caller reports unknown names).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from fleetops.errors import BadInput


class CycleError(BadInput):
    """The graph has a cycle; ``path`` is it, first node repeated at the end (exit 2: the
    dependencies the fleet file declares are wrong)."""

    def __init__(self, path: list[str]) -> None:
        super().__init__(f"dependency cycle: {format_cycle(path)}")
        self.path = path


def format_cycle(path: Sequence[str]) -> str:
    """``['a', 'b', 'a']`` -> ``'a -> b -> a'``."""
    return " -> ".join(path)


def waves(deps: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """Group nodes into waves: wave 0 depends on nothing, wave n only on earlier waves.

    Nodes within a wave are sorted by name. Raises :class:`CycleError` on a cycle.
    """
    found = cycles(deps)
    if found:
        raise CycleError(found[0])
    level: dict[str, int] = {}
    # Kahn's algorithm by levels: iterative, so a long chain cannot exhaust the recursion limit.
    inside = {node: {d for d in deps[node] if d in deps} for node in deps}
    dependents: dict[str, list[str]] = {node: [] for node in deps}
    for node, needs in inside.items():
        for dep in needs:
            dependents[dep].append(node)
    waiting = {node: len(needs) for node, needs in inside.items()}
    ready = [node for node, count in waiting.items() if count == 0]
    depth = 0
    while ready:
        following: list[str] = []
        for node in ready:
            level[node] = depth
            for dependent in dependents[node]:
                waiting[dependent] -= 1
                if waiting[dependent] == 0:
                    following.append(dependent)
        ready = following
        depth += 1
    result: list[list[str]] = [[] for _ in range(max(level.values(), default=-1) + 1)]
    for node in sorted(level):
        result[level[node]].append(node)
    return result


def cycles(deps: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """One cycle per strongly connected part of the graph that has one, each as a path.

    A path starts at the smallest name in its cycle and repeats it at the end:
    ``['orders', 'payments', 'orders']``. Cycles are sorted by their first node.
    """
    found: list[list[str]] = []
    for component in _strongly_connected(deps):
        members = set(component)
        start = min(component)
        if len(component) == 1 and start not in deps[start]:
            continue
        found.append(_cycle_through(start, members, deps))
    return sorted(found)


def _cycle_through(start: str, members: set[str], deps: Mapping[str, Sequence[str]]) -> list[str]:
    # Breadth-first from start inside its component gives the shortest way back to start.
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following: list[str] = []
        for node in frontier:
            for dep in sorted(set(deps[node])):
                if dep == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [*reversed(path), start]
                if dep in members and dep not in previous:
                    previous[dep] = node
                    following.append(dep)
        frontier = following
    raise AssertionError("a strongly connected component always has a cycle")  # pragma: no cover


def _strongly_connected(deps: Mapping[str, Sequence[str]]) -> list[list[str]]:
    # Tarjan's algorithm, iterative so deep graphs cannot exhaust the recursion limit.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in sorted(deps):
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, child = work.pop()
            if child == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            children = [d for d in deps[node] if d in deps]
            if child < len(children):
                work.append((node, child + 1))
                nxt = children[child]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return components
