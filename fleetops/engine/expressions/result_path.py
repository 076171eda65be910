"""ResultPath: where a state's result is placed in its input.

"The value of ResultPath MUST be a Reference Path, which specifies the raw input's
combination with or replacement by the state's result." "If the value of ResultPath is
null, that means that the state's result is discarded and its raw input becomes its
result." "If the ResultPath identifies a field which does not exist in the raw input, the
field is created." (Amazon States Language specification, ResultPath)
"""

from __future__ import annotations

import json
from typing import Any

from fleetops.engine.errors import StatesError, StatesErrorName
from fleetops.engine.expressions.jsonpath import Segment, parse_path
from fleetops.engine.expressions.jsontext import compact_json


def set_path(target: Any, path: str | None, value: Any) -> Any:
    """Return `target` with `value` placed at `path`; `target` itself is not changed.

    `path` None discards `value` and returns `target`; `$` returns `value`. Objects missing on
    the way are created. Raises StatesError(States.ResultPathMatchFailure) with AWS's cause when
    the path runs into something that is not an object (or an index that does not exist).
    """
    if path is None:
        return target
    parsed = parse_path(path)
    if parsed.root != "input" or parsed.segments is None:
        raise ValueError(f"ResultPath {path!r} must be a Reference Path starting with '$'")
    if not parsed.segments:
        return value
    try:
        return _placed(target, parsed.segments, value)
    except _NoPlace:
        raise StatesError(
            StatesErrorName.RESULT_PATH_MATCH_FAILURE,
            f"Unable to apply ReferencePath {path} to input {json.dumps(compact_json(target))}",
        ) from None


class _NoPlace(Exception):
    pass


def _placed(node: Any, segments: tuple[Segment, ...], value: Any) -> Any:
    head, rest = segments[0], segments[1:]
    if isinstance(head, int):
        if not isinstance(node, list) or not -len(node) <= head < len(node):
            raise _NoPlace
        copy_list = list(node)
        copy_list[head] = _placed(copy_list[head], rest, value) if rest else value
        return copy_list
    if not isinstance(node, dict):
        raise _NoPlace
    copy = dict(node)
    copy[head] = _placed(copy.get(head, {}), rest, value) if rest else value
    return copy
