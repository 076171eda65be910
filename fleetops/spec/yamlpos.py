"""YAML with positions: the parsed data plus the ``line:column`` of every key and value.

PyYAML's composer keeps a mark on every node; this module builds the Python data from the node
tree itself (scalars through the safe constructor) and records, for each path
(``("services", "orders", "depends_on", 1)``), where its value and its key start.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from fleetops.jsonlimits import MAX_DEPTH
from fleetops.spec.problems import Path, Problem

# Aliases can make a small file expand exponentially ("billion laughs"); a fleet is far smaller.
MAX_NODES = 100_000


@dataclass(frozen=True)
class Position:
    """A 1-based line and column in the file."""

    line: int
    column: int


@dataclass
class Document:
    """Parsed YAML: the data, where each path's value and key start, and what could not be read."""

    data: Any = None
    values: dict[Path, Position] = field(default_factory=dict)
    keys: dict[Path, Position] = field(default_factory=dict)
    problems: list[tuple[Position, Problem]] = field(default_factory=list)
    damaged: set[Path] = field(default_factory=set)
    """Paths whose value could not be read (and became None)."""

    def position(self, path: Path, *, key: bool = False) -> Position:
        """Where ``path`` is written, or its nearest written parent (for a missing field)."""
        table = self.keys if key else self.values
        if path in table:
            return table[path]
        for end in range(len(path) - 1, -1, -1):
            if path[:end] in self.values:
                return self.values[path[:end]]
        return Position(1, 1)


def _pos(mark: yaml.Mark) -> Position:
    return Position(mark.line + 1, mark.column + 1)


def parse(text: str) -> Document:
    """Parse one YAML document; syntax errors become problems at their position."""
    doc = Document()
    loader: yaml.SafeLoader | None = None
    try:
        deep = _first_too_deep(text)
        if deep is not None:
            message = f"the file nests deeper than {MAX_DEPTH} levels of mappings and lists (the limit)"
            doc.problems.append((deep, Problem((), message)))
            return doc
        loader = yaml.SafeLoader(text)
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        position = _pos(mark) if mark is not None else Position(1, 1)
        message = " ".join(part for part in (err.context, err.problem) if part)
        doc.problems.append((position, Problem((), f"invalid YAML: {message}")))
        return doc
    except yaml.reader.ReaderError as err:
        before = text[: err.position]
        position = Position(before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1)
        doc.problems.append(
            (position, Problem((), f"invalid YAML: character #x{err.character:04x} is not allowed"))
        )
        return doc
    except yaml.YAMLError as err:
        doc.problems.append((Position(1, 1), Problem((), f"invalid YAML: {_one_line(err)}")))
        return doc
    finally:
        if loader is not None:
            loader.dispose()
    if node is None:
        doc.problems.append((Position(1, 1), Problem((), "the file is empty: expected a fleet (a mapping)")))
        return doc
    doc.data = _Builder(loader, doc).build(node, ())
    return doc


def _first_too_deep(text: str) -> Position | None:
    """Where the first mapping or list nested deeper than ``MAX_DEPTH`` starts, if any.

    PyYAML's composer (and the builder below) recurse once per level and fail with a
    RecursionError a few hundred levels down; its parser does not recurse, so the events it
    yields are counted first.

    They are counted with libyaml's parser (PyYAML's C extension, when built), ~10 times faster
    than PyYAML's own, which took a quarter of the CPU of ``fleetops validate``, and of every
    fleet file a control plane reads. Only its "nothing too deep" is taken: when it finds a
    level too deep, or an error (the two parsers word errors, and draw some lines, differently),
    PyYAML's parser counts again, and its answer or error is the one given, as before.
    """
    if yaml.__with_libyaml__:
        try:
            if _deepest(yaml.CSafeLoader(text)) is None:
                return None
        except (yaml.YAMLError, ValueError):
            pass
    return _deepest(yaml.SafeLoader(text))


def _deepest(loader: yaml.SafeLoader | yaml.CSafeLoader) -> Position | None:
    depth = 0
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                mark = event.start_mark
                if depth > MAX_DEPTH:
                    return Position(mark.line + 1, mark.column + 1) if mark is not None else Position(1, 1)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    finally:
        loader.dispose()
    return None


class _Builder:
    def __init__(self, loader: yaml.SafeLoader, doc: Document) -> None:
        self.loader = loader
        self.doc = doc
        self.active: set[int] = set()
        self.built = 0

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.doc.values[path] = _pos(node.start_mark)
        self.built += 1
        if self.built > MAX_NODES:
            if self.built == MAX_NODES + 1:
                self._problem(node, path, f"the file expands to more than {MAX_NODES} values (aliases?)")
            self.doc.damaged.add(path)
            return None
        if id(node) in self.active:
            self._problem(node, path, "an alias refers to a node that contains it (recursive alias)")
            self.doc.damaged.add(path)
            return None
        if isinstance(node, yaml.ScalarNode):
            try:
                return self.loader.construct_object(node, deep=True)
            except (yaml.YAMLError, ValueError, OverflowError) as err:
                self._problem(node, path, f"cannot read value: {_one_line(err)}")
                self.doc.damaged.add(path)
                return None
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.build(child, (*path, i)) for i, child in enumerate(node.value)]
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path)
            return None  # pragma: no cover - composer yields only these three node kinds
        finally:
            self.active.discard(id(node))

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[Any, Any]:
        explicit = {id(key) for key, _ in node.value if key.tag != "tag:yaml.org,2002:merge"}
        try:
            self.loader.flatten_mapping(node)  # resolves `<<:` merge keys like safe_load does
        except yaml.YAMLError as err:
            self._problem(node, path, f"cannot merge: {_one_line(err)}")
            self.doc.damaged.add(path)
            return {}
        result: dict[Any, Any] = {}
        first_seen: dict[Any, Position] = {}
        merged: set[str] = set()  # keys that came from `<<:` (explicit keys override them)
        for key_node, value_node in node.value:
            key_pos = _pos(key_node.start_mark)
            if not isinstance(key_node, yaml.ScalarNode):
                self._problem(key_node, path, "a key must be a plain name, not a list or mapping")
                continue
            try:
                key = self.loader.construct_object(key_node, deep=True)
            except (yaml.YAMLError, ValueError, OverflowError) as err:
                self._problem(key_node, path, f"cannot read key: {_one_line(err)}")
                continue
            if not isinstance(key, str):
                # YAML 1.1 reads `on`, `no`, `yes`, `1` as booleans/numbers; quoting keeps them text.
                self._problem(
                    key_node, path, f'key {key_node.value!r} must be text (quote it: "{key_node.value}")'
                )
                continue
            if key in first_seen and id(key_node) in explicit and key not in merged:
                self._problem(
                    key_node, (*path, key), f"duplicate key '{key}' (first at line {first_seen[key].line})"
                )
                continue
            first_seen[key] = key_pos
            if id(key_node) in explicit:
                merged.discard(key)
            else:
                merged.add(key)
            self.doc.keys[(*path, key)] = key_pos
            result[key] = self.build(value_node, (*path, key))
        return result

    def _problem(self, node: yaml.Node, path: Path, message: str) -> None:
        self.doc.problems.append((_pos(node.start_mark), Problem(path, message)))


def _one_line(err: BaseException) -> str:
    if isinstance(err, yaml.MarkedYAMLError) and err.problem:
        return err.problem
    return " ".join(str(err).split())
