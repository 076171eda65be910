"""The functions AWS Step Functions adds to JSONata.

"Step Functions provides the following functions in addition to the JSONata built-in
functions: $partition, $range, $hash, $random, $uuid, $parse." (AWS Step Functions,
Transforming data with JSONata)
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable
from typing import Any

from jsonata.utils import Utils

from fleetops.engine.errors import StatesError
from fleetops.engine.expressions.intrinsics import arrays, hashing


class JsonataFunctionError(Exception):
    """An AWS function refused its arguments; the message becomes part of the cause."""


def _guard(function: Callable[..., Any]) -> Callable[..., Any]:
    def guarded(*args: Any) -> Any:
        try:
            return function(*args)
        except StatesError as err:
            raise JsonataFunctionError(err.cause or str(err)) from err

    return guarded


def partition(items: Any, size: Any) -> list[list[Any]]:
    """ "$partition(array, chunkSize): partitions an array into chunks of the given size"
    (the same rules as States.ArrayPartition)."""
    result: list[list[Any]] = arrays.array_partition(items if isinstance(items, list) else [items], size)
    return result


def range_(start: Any, end: Any, step: Any) -> Any:
    """ "$range(start, end, step): an array of numbers from start to end in steps" (the same rules
    as States.ArrayRange). As in JSONata, a one-item result is that item."""
    values = arrays.array_range(start, end, step)
    return values[0] if len(values) == 1 else values


def hash_(value: Any, algorithm: Any) -> str:
    """ "$hash(data, algorithm): the hash of data" (MD5, SHA-1, SHA-256, SHA-384, SHA-512)."""
    return hashing.states_hash(value, algorithm)


def random_(seed: Any = None) -> float:
    """ "$random([seed]): a random number 0 <= n < 1"; with a seed the number is repeatable."""
    return random.Random(seed).random() if seed is not None else random.random()


def uuid_() -> str:
    """ "$uuid(): a version 4 UUID"."""
    return str(uuid.uuid4())


def parse(text: Any) -> Any:
    """ "$parse(jsonString): the value a JSON string describes"."""
    if not isinstance(text, str):
        raise JsonataFunctionError(f"$parse expects a string, got {json.dumps(text)}")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise JsonataFunctionError(f"$parse: the argument is not JSON text: {err}") from err
    # JSONata's null; a bare None would read as undefined.
    return Utils.NULL_VALUE if value is None else value


AWS_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "partition": _guard(partition),
    "range": _guard(range_),
    "hash": _guard(hash_),
    "random": random_,
    "uuid": uuid_,
    "parse": parse,
}
