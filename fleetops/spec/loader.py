"""Loading a fleet file: YAML with positions, pydantic validation, cross-field checks, and every
problem reported at once as ``file:line:column path: message``, sorted by position.
"""

from __future__ import annotations

import json
import re
from pathlib import Path as FilePath
from typing import Any

from pydantic import TypeAdapter, ValidationError

from fleetops.errors import BadInput
from fleetops.spec.checks import Parts, check_parts
from fleetops.spec.fleet import Fleet
from fleetops.spec.messages import describe
from fleetops.spec.models import Environment, Service
from fleetops.spec.problems import Path, Problem
from fleetops.spec.resources import Alarm, Channel, CompositeAlarm, Datastore, Secret
from fleetops.spec.yamlpos import Document, Position, parse

_SECTIONS: dict[str, TypeAdapter[Any]] = {
    "environments": TypeAdapter(Environment),
    "services": TypeAdapter(Service),
    "secrets": TypeAdapter(Secret),
    "datastores": TypeAdapter(Datastore),
    "alarms": TypeAdapter(Alarm),
    "composite_alarms": TypeAdapter(CompositeAlarm),
    "notifications": TypeAdapter(Channel),
}
_PLAIN = re.compile(r"^[A-Za-z0-9_-]+$")


def load_fleet(path: FilePath) -> Fleet:
    """Read and validate the fleet file at ``path``; raise :class:`BadInput` listing every problem."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError as err:
        raise BadInput(f"{path}: no such file (expected a fleet file; pass -f FILE)") from err
    except IsADirectoryError as err:
        raise BadInput(f"{path}: is a directory (expected a fleet file; pass -f FILE)") from err
    except OSError as err:
        raise BadInput(f"{path}: cannot read the fleet file: {err.strerror or err}") from err
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise BadInput(_not_utf8(str(path), raw, err)) from err
    return load_fleet_text(text, str(path)).with_base_dir(path.resolve().parent)


def _not_utf8(filename: str, raw: bytes, err: UnicodeDecodeError) -> str:
    """Where the first byte that is not UTF-8 is, as a line and a column (in characters)."""
    before = raw[: err.start]
    line_start = before.rfind(b"\n") + 1
    line = before.count(b"\n") + 1
    column = len(before[line_start:].decode("utf-8")) + 1
    bad = raw[err.start : err.start + 1].hex()
    return f"{filename}:{line}:{column}: byte 0x{bad} is not UTF-8 (expected a UTF-8 text file)"


def load_fleet_text(text: str, filename: str = "fleet.yaml") -> Fleet:
    """Validate fleet file ``text`` (``filename`` is used in messages); raise :class:`BadInput`."""
    doc = parse(text)
    located: list[tuple[Position, Problem]] = list(doc.problems)
    fleet: Fleet | None = None
    if doc.data is None and not located:
        located.append((Position(1, 1), Problem((), "the file has no fleet in it: expected a mapping")))
    if doc.data is not None:
        try:
            fleet = Fleet.model_validate(doc.data, context={"skip_cross_checks": True})
        except ValidationError as err:
            # A value the YAML reader could not read became None: its type error would repeat it.
            located += [_locate(doc, e) for e in err.errors(include_url=False) if not _from_damage(doc, e)]
        parts, unchecked = _valid_parts(doc.data, fleet)
        for problem in check_parts(parts):
            if not any(_overlaps(path, unchecked) for path in (problem.path, *problem.involves)):
                located.append((doc.position(problem.path, key=problem.at_key), problem))
    if not located and fleet is not None:
        return fleet
    lines = sorted({_render(filename, pos, problem) for pos, problem in located}, key=_sort_key)
    count = len(lines)
    raise BadInput(f"{filename}: {count} problem{'s' if count != 1 else ''}", lines)


def format_path(path: Path) -> str:
    """``("services", "orders", "depends_on", 1)`` -> ``services.orders.depends_on[1]``.

    A key that is not a plain word is quoted: ``env["MY VAR"]``.
    """
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif not _PLAIN.match(part):
            text += f"[{json.dumps(part)}]"
        else:
            text += f".{part}" if text else part
    return text or "(root)"


def _render(filename: str, pos: Position, problem: Problem) -> str:
    return f"{filename}:{pos.line}:{pos.column} {format_path(problem.path)}: {problem.message}"


def _sort_key(line: str) -> tuple[int, int, str]:
    # "file:line:col rest" - the file name may itself contain ':' so split from the right.
    location = line.split(" ", 1)[0]
    _, row, col = location.rsplit(":", 2)
    return (int(row), int(col), line)


def _overlaps(path: Path, unchecked: set[Path]) -> bool:
    """Whether ``path`` is a field left out (or inside one): a check on it read a default."""
    return any(path[: len(left)] == left for left in unchecked)


def _from_damage(doc: Document, error: Any) -> bool:
    path = _data_path(doc.data, error["loc"], error["type"])
    return any(path[: len(damaged)] == damaged for damaged in doc.damaged)


def _valid_parts(data: Any, fleet: Fleet | None) -> tuple[Parts, set[Path]]:
    """The parts of the file that are valid on their own, for the cross-field checks, and the
    fields left out of them because they have errors of their own."""
    if fleet is not None:
        return fleet.parts(), set()
    parts: dict[str, Any] = {}
    names: dict[str, set[str]] = {}
    unchecked: set[Path] = set()
    for section, adapter in _SECTIONS.items():
        raw = data.get(section) if isinstance(data, dict) else None
        valid: dict[str, Any] = {}
        names[section] = set()
        if isinstance(raw, dict):
            for name, value in raw.items():
                if not isinstance(name, str):
                    continue
                names[section].add(name)
                item, dropped = _salvage(adapter, value)
                if item is not None:
                    valid[name] = item
                    unchecked |= {(section, name, *path) for path in dropped}
        parts[section] = valid
    return Parts(**parts, names=names), unchecked


def _salvage(adapter: TypeAdapter[Any], value: Any) -> tuple[Any, set[Path]]:
    """Validate ``value``, leaving out the fields that have errors (they are reported already).

    Only the innermost field in error goes (``deploy.min_healthy_percent``, not all of
    ``deploy``), so the checks on its valid neighbours (``deploy.alarms``) still run. Returns the
    item (or None if it cannot be salvaged) and the paths left out, so that checks about those
    fields (a missing `run`) are not reported on top of their errors.
    """
    dropped: set[Path] = set()
    while True:
        try:
            return adapter.validate_python(value), dropped
        except ValidationError as err:
            bad = {_droppable(value, error) for error in err.errors(include_url=False)}
            if () in bad or bad <= dropped:
                return None, dropped
            dropped |= bad
            for path in sorted(bad, key=len):
                value = _without(value, path)


def _droppable(value: Any, error: Any) -> Path:
    """The field to leave out for ``error``: the innermost mapping key on its path (a list is left
    out whole, so the indexes checks report stay those of the file); for a missing field, the
    object that lacks it. ``()``: the value itself is in error."""
    path = _data_path(value, error["loc"], error["type"])
    if error["type"] == "missing":
        path = path[:-1]
    keys = 0
    current = value
    for part in path:
        if not isinstance(current, dict) or not isinstance(part, str) or part not in current:
            break
        keys += 1
        current = current[part]
    return path[:keys]


def _without(value: Any, path: Path) -> Any:
    """``value`` (nested mappings) without the key at ``path``; unchanged if it is not there."""
    if not path or not isinstance(value, dict) or path[0] not in value:
        return value
    head, rest = path[0], path[1:]
    if not rest:
        return {k: v for k, v in value.items() if k != head}
    return {**value, head: _without(value[head], rest)}


def _data_path(data: Any, loc: tuple[Any, ...], kind: str) -> Path:
    """Map a pydantic error location onto the file's data, dropping union tags it inserts."""
    path: list[str | int] = []
    current = data
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if part == "[key]":
            break
        if (isinstance(current, dict) and part in current) or (
            isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current)
        ):
            path.append(part)
            current = current[part]
        elif last and kind in ("missing", "extra_forbidden"):
            path.append(part)
        # anything else is a tag pydantic adds for unions ("aws", "function-after[...]"): skip it
    return tuple(path)


def _locate(doc: Document, error: Any) -> tuple[Position, Problem]:
    kind = error["type"]
    path = _data_path(doc.data, error["loc"], kind)
    message = describe(error)
    if kind == "missing":
        return doc.position(path[:-1]), Problem(path[:-1], message)
    if error["loc"] and error["loc"][-1] == "[key]":
        return doc.position(path, key=True), Problem(path, message)
    if kind == "extra_forbidden":
        return doc.position(path, key=True), Problem(path, message)
    if kind in ("union_tag_invalid",):
        tag = error.get("ctx", {}).get("discriminator", "").strip("'")
        if (*path, tag) in doc.values:
            return doc.position((*path, tag)), Problem((*path, tag), message)
    return doc.position(path), Problem(path, message)


__all__ = ["format_path", "load_fleet", "load_fleet_text"]
