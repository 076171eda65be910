"""ResultPath (fleetops/engine/expressions/result_path.py)."""

from __future__ import annotations

import pytest

from fleetops.engine.errors import StatesError
from fleetops.engine.expressions import set_path


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
