"""A state machine drawn as a graph: its top-level states laid out in layers, each with its status.

The layout is a small layered one (the dashboard draws it as SVG, without a graph library):
edges that go back to a state already on the path from ``StartAt`` (a retry loop such as
``WaitForLock -> Initialize``) are set aside, every other state sits one layer below its
deepest predecessor, and states keep the order in which a walk from ``StartAt`` meets them
within their layer. Statuses come from the execution's history: only top-level events count
(an event inside a Map or Parallel branch has a ``/`` in its scope), so a failure caught inside
an iteration does not mark its Map state failed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fleetops.engine.history import HistoryEvent

NODE_WIDTH = 150
NODE_HEIGHT = 34
GAP_X = 30
GAP_Y = 36
MARGIN = 12
ROUTING = 60
FAILURE_SUFFIXES = ("Failed", "TimedOut")
EXECUTION_ENDS = {"ExecutionFailed": "failed", "ExecutionTimedOut": "failed", "ExecutionAborted": "aborted"}


@dataclass(frozen=True)
class Node:
    """A state: where it is drawn and what happened to it (``not_entered``, ``entered``,
    ``succeeded``, ``failed``, ``caught``: failed and left through a Catch, ``aborted``)."""

    name: str
    type: str
    x: int
    y: int
    layer: int
    status: str

    def to_json(self) -> dict[str, Any]:
        """JSON-ready values."""
        return {
            "name": self.name,
            "type": self.type,
            "x": self.x,
            "y": self.y,
            "layer": self.layer,
            "width": NODE_WIDTH,
            "height": NODE_HEIGHT,
            "status": self.status,
        }


@dataclass(frozen=True)
class Edge:
    """A transition: ``next``, ``choice``, ``default`` or ``catch``; ``back`` when it loops up."""

    source: str
    target: str
    kind: str
    back: bool

    def to_json(self) -> dict[str, Any]:
        """JSON-ready values."""
        return {"from": self.source, "to": self.target, "kind": self.kind, "back": self.back}


@dataclass(frozen=True)
class Graph:
    """The laid-out states and transitions, and the size of the drawing."""

    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    width: int
    height: int

    def to_json(self) -> dict[str, Any]:
        """JSON-ready values."""
        return {
            "nodes": [node.to_json() for node in self.nodes],
            "edges": [edge.to_json() for edge in self.edges],
            "width": self.width,
            "height": self.height,
        }


def transitions(state: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The (target, kind) transitions out of one ASL state, in the order the state lists them."""
    out: list[tuple[str, str]] = []
    out.extend((str(choice["Next"]), "choice") for choice in state.get("Choices", ()) if "Next" in choice)
    if "Default" in state:
        out.append((str(state["Default"]), "default"))
    if "Next" in state:
        out.append((str(state["Next"]), "next"))
    out.extend((str(catch["Next"]), "catch") for catch in state.get("Catch", ()) if "Next" in catch)
    return out


def layout(definition: Mapping[str, Any], statuses: Mapping[str, str] | None = None) -> Graph:
    """The graph of ``definition``'s top-level states (see the module docstring)."""
    states: Mapping[str, Mapping[str, Any]] = definition.get("States", {})
    start = str(definition.get("StartAt", ""))
    order: list[str] = []
    back: set[tuple[str, str]] = set()
    on_path: set[str] = set()

    def walk(name: str) -> None:
        order.append(name)
        on_path.add(name)
        for target, _kind in transitions(states[name]):
            if target not in states:
                continue
            if target in on_path:
                back.add((name, target))
            elif target not in order:
                walk(target)
        on_path.discard(name)

    if start in states:
        walk(start)
    order.extend(name for name in states if name not in order)  # unreachable: drawn last
    layer = dict.fromkeys(order, 0)
    # Longest path over the forward edges; at most len(order) rounds settle it.
    for _ in order:
        changed = False
        for name in order:
            for target, _kind in transitions(states[name]):
                if target in layer and (name, target) not in back and layer[target] < layer[name] + 1:
                    layer[target] = layer[name] + 1
                    changed = True
        if not changed:
            break
    rows: dict[int, list[str]] = {}
    for name in order:
        rows.setdefault(layer[name], []).append(name)
    widest = max((len(row) for row in rows.values()), default=0)
    # Room on the right for the transitions that go back up or skip layers (drawn around).
    width = 2 * MARGIN + widest * NODE_WIDTH + max(widest - 1, 0) * GAP_X + ROUTING
    nodes = []
    for depth, row in sorted(rows.items()):
        row_width = len(row) * NODE_WIDTH + (len(row) - 1) * GAP_X
        left = (width - ROUTING - row_width) // 2
        for index, name in enumerate(row):
            nodes.append(
                Node(
                    name=name,
                    type=str(states[name].get("Type", "")),
                    x=left + index * (NODE_WIDTH + GAP_X),
                    y=MARGIN + depth * (NODE_HEIGHT + GAP_Y),
                    layer=depth,
                    status=(statuses or {}).get(name, "not_entered"),
                )
            )
    edges = tuple(
        Edge(name, target, kind, (name, target) in back)
        for name in order
        for target, kind in transitions(states[name])
        if target in states
    )
    height = 2 * MARGIN + len(rows) * NODE_HEIGHT + max(len(rows) - 1, 0) * GAP_Y
    return Graph(tuple(nodes), edges, width, height)


def state_statuses(events: Iterable[HistoryEvent], names: Sequence[str] | set[str]) -> dict[str, str]:
    """What happened to each top-level state in ``names`` (the last visit counts); see ``Node``."""
    known = set(names)
    statuses: dict[str, str] = {}
    current: str | None = None
    for event in events:
        if "/" in event.scope:
            continue  # inside a Map or Parallel branch
        name = event.details.get("name")
        if event.type.endswith("StateEntered") and name in known:
            current = str(name)
            statuses[current] = "entered"
        elif event.type.endswith("StateExited") and name in known:
            statuses[str(name)] = "caught" if statuses.get(str(name)) == "failed" else "succeeded"
            current = None
        elif event.type in EXECUTION_ENDS:
            if current is not None:
                statuses[current] = EXECUTION_ENDS[event.type]
        elif event.type.endswith(FAILURE_SUFFIXES) and current is not None:
            statuses[current] = "failed"
    return statuses
