"""How deeply JSON (and YAML) input may nest, checked before it is parsed.

Python's ``json`` module and everything that walks parsed data recursively (redaction, pydantic,
the engine's data flow) fail with a ``RecursionError`` somewhere past ~1,000 levels. fleetops reads
no input nested deeper than :data:`MAX_DEPTH` levels: a request body, a Step Functions input,
output or definition, a fleet file. Real documents nest a handful of levels; AWS documents no
nesting limit of its own, so this one is fleetops'.

The check counts brackets outside strings without recursion and at C speed (a regular
expression, two translations and a running sum), so a 10,000-level document is refused as
cheaply as it is read.
"""

from __future__ import annotations

import json
import re
from array import array
from itertools import accumulate
from typing import Any

from fleetops.errors import BadInput

MAX_DEPTH = 64
"""The deepest nesting of arrays and objects accepted in JSON input (64 levels)."""

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))
# Each opening bracket becomes +1 and each closing one -1 (as signed bytes).
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")


class TooDeep(BadInput):
    """JSON input nesting deeper than :data:`MAX_DEPTH`."""


def exceeds_depth(text: str | bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether arrays and objects in the JSON ``text`` nest deeper than ``limit`` levels.

    Malformed text (unbalanced brackets, an unterminated string) is judged on the brackets it
    has; the JSON parser reports what else is wrong with it.
    """
    data = text.encode() if isinstance(text, str) else text
    if data.count(b"[") + data.count(b"{") <= limit:
        return False
    steps = _STRING.sub(b"", data).translate(None, _NOT_BRACKETS).translate(_STEPS)
    # The running sum of the steps is the depth at each bracket. A parser reading left to right
    # stops at a closing bracket too many, so a negative running sum is never read past.
    return max(accumulate(array("b", steps)), default=0) > limit


def check_depth(text: str | bytes, what: str) -> None:
    """Raise :class:`TooDeep` naming ``what`` when ``text`` nests deeper than :data:`MAX_DEPTH`."""
    if exceeds_depth(text):
        raise TooDeep(f"{what} nests deeper than {MAX_DEPTH} levels of arrays and objects (the limit)")


def loads(text: str | bytes, what: str) -> Any:
    """``json.loads(text)`` after :func:`check_depth` (``ValueError`` when it is not JSON)."""
    check_depth(text, what)
    return json.loads(text)
