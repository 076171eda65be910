"""JSONPath as AWS reads it (fleetops/engine/expressions/jsonpath.py)."""

from __future__ import annotations

import pytest

from fleetops.engine.expressions import PathNotFound, Scope, parse_path, resolve_path

SCOPE = Scope(
    input={"items": [{"a": 1}, {"a": 2}], "odd key": True, 'Test\\"Name': "v"},
    context={"Execution": {"Input": {"input-value": 0}}},
    variables={"answer": {"value": 42}},
)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$", SCOPE.input),
        ("$.items[0]", {"a": 1}),
        ("$.items[-1].a", 2),
        ("$['odd key']", True),
        ("$['Test\\\"Name']", "v"),
        ("$$.Execution.Input.input-value", 0),
        ("$answer", {"value": 42}),
        ("$answer.value", 42),
        ("$.items.[1]", {"a": 2}),
    ],
)
def test_definite_path_returns_the_node(path: str, expected: object) -> None:
    assert resolve_path(path, SCOPE) == expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$.items[*].a", [1, 2]),
        ("$.items[1:].a", [2]),
        ("$.items[?(@.a == 2)]", [{"a": 2}]),
        ("$..a", [1, 2]),
        ("$.missing[*]", []),
        ("$.missing[1:5].x", []),
        ("$.items.[?(@.a < 2)].a", [1]),
    ],
)
def test_indefinite_path_returns_every_match_as_a_list(path: str, expected: object) -> None:
    assert resolve_path(path, SCOPE) == expected


@pytest.mark.parametrize("path", ["$.nope", "$.items[2]", "$.items.a", "$answer.nope", "$undefinedVar"])
def test_definite_path_that_matches_nothing_raises_path_not_found(path: str) -> None:
    with pytest.raises(PathNotFound) as caught:
        resolve_path(path, SCOPE)

    assert caught.value.path == path


def test_path_not_found_spells_the_path_as_jayway_does() -> None:
    with pytest.raises(PathNotFound) as caught:
        resolve_path("$.items[5].a", SCOPE)

    assert caught.value.normalized == "$['items'][5]"


def test_reference_paths_are_definite_and_wildcards_are_not() -> None:
    assert parse_path("$.a['b'][0]").definite is True
    assert parse_path("$.a[*]").definite is False


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a.b", "'a.b' is not a JSONPath: it must begin with '$'"),
        ("", "'' is not a JSONPath: it must begin with '$'"),
        ("$.a[?(@.x ==]", "'$.a[?(@.x ==]' is not a valid JSONPath: Parse error at 1:12 near token ] (])"),
    ],
)
def test_text_that_is_not_a_path_is_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_path(text)
    assert str(caught.value) == message
