"""ResultPath (fleetops/engine/expressions/result_path.py)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fleetops.engine.errors import StatesError
from fleetops.engine.expressions import Scope, resolve_path, set_path


def test_dollar_replaces_the_input_with_the_result() -> None:
    assert set_path({"a": 1}, "$", [1]) == [1]


def test_null_discards_the_result() -> None:
    assert set_path({"a": 1}, None, "ignored") == {"a": 1}


def test_missing_objects_on_the_way_are_created() -> None:
    assert set_path({"a": 1}, "$.b.c", 5) == {"a": 1, "b": {"c": 5}}


def test_an_existing_field_is_replaced_and_the_input_is_not_changed() -> None:
    target = {"a": {"x": 1, "y": 2}}

    assert set_path(target, "$.a.x", 9) == {"a": {"x": 9, "y": 2}}
    assert target == {"a": {"x": 1, "y": 2}}


def test_an_existing_array_item_can_be_replaced() -> None:
    assert set_path({"a": [1, 2]}, "$.a[1]", 3) == {"a": [1, 3]}


def test_a_path_into_a_non_object_fails_with_aws_cause() -> None:
    with pytest.raises(StatesError) as caught:
        set_path({"a": "text"}, "$.a.b", 1)

    assert caught.value.error == "States.ResultPathMatchFailure"
    assert caught.value.cause == 'Unable to apply ReferencePath $.a.b to input "{\\"a\\":\\"text\\"}"'


json_leaves = st.none() | st.booleans() | st.integers() | st.text(max_size=5)
json_values = st.recursive(
    json_leaves,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=8,
)
names = st.text(alphabet="abcxyz_", min_size=1, max_size=4)


@settings(deadline=None)  # the first call compiles paths; timing says nothing here
@given(target=st.dictionaries(names, json_values, max_size=4), keys=st.lists(names, min_size=1, max_size=3))
def test_a_value_set_at_a_path_is_read_back_there(target: dict[str, object], keys: list[str]) -> None:
    path = "$." + ".".join(keys)
    try:
        combined = set_path(target, path, "placed")
    except StatesError:
        return  # the path ran into a non-object: nothing was placed
    assert resolve_path(path, Scope(combined)) == "placed"
