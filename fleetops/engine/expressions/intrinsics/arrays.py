"""Intrinsics for arrays: States.Array, ArrayPartition, ArrayContains, ArrayRange, ArrayGetItem,
ArrayLength and ArrayUnique (AWS Step Functions, "Intrinsics for arrays")."""

from __future__ import annotations

from typing import Any

from fleetops.engine.expressions.intrinsics.values import array, failure, integer, json_equal

MAX_RANGE_ITEMS = 1000


def states_array(*values: Any) -> list[Any]:
    """AWS: "The interpreter returns a JSON array containing the values of the arguments, in the
    order provided." (AWS docs)"""
    return list(values)


def array_partition(items: Any, size: Any) -> list[list[Any]]:
    """AWS: "The interpreter chunks the input array into multiple arrays of the size specified by
    chunk size. The length of the last array chunk may be less than the length of the previous
    array chunks." The chunk size must be a non-zero, positive integer."""
    values = array("ArrayPartition", items)
    chunk = integer("ArrayPartition", size, "chunk size")
    if chunk <= 0:
        raise failure("ArrayPartition", f"the chunk size must be a positive integer, got {chunk}")
    return [values[start : start + chunk] for start in range(0, len(values), chunk)]


def array_contains(items: Any, value: Any) -> bool:
    """AWS: "Determines if a specific value is present in an array." (AWS docs)"""
    return any(json_equal(item, value) for item in array("ArrayContains", items))


def array_range(first: Any, last: Any, step: Any) -> list[int]:
    """AWS: "Creates a new array containing a specific range of elements. The new array can contain
    up to 1000 elements." The last number is included when the steps reach it."""
    start = integer("ArrayRange", first, "start")
    end = integer("ArrayRange", last, "end")
    increment = integer("ArrayRange", step, "step")
    if increment == 0:
        raise failure("ArrayRange", "the step must not be 0")
    count = max(0, (end - start) // increment + 1)
    if count > MAX_RANGE_ITEMS:
        raise failure(
            "ArrayRange",
            f"the range would have {count} items; at most {MAX_RANGE_ITEMS} are allowed",
        )
    return [start + index * increment for index in range(count)]


def array_get_item(items: Any, index: Any) -> Any:
    """AWS: "Returns a specified index's value." The index is zero-based."""
    values = array("ArrayGetItem", items)
    position = integer("ArrayGetItem", index, "index")
    if not 0 <= position < len(values):
        raise failure(
            "ArrayGetItem", f"the index {position} is out of bounds for an array of {len(values)} items"
        )
    return values[position]


def array_length(items: Any) -> int:
    """AWS: "Returns the length of an array." (AWS docs)"""
    return len(array("ArrayLength", items))


def array_unique(items: Any) -> list[Any]:
    """AWS: "Removes duplicate values from an array and returns an array containing only unique
    elements." The first occurrence of each value keeps its place."""
    unique: list[Any] = []
    for item in array("ArrayUnique", items):
        if not any(json_equal(item, seen) for seen in unique):
            unique.append(item)
    return unique
