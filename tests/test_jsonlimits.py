"""The nesting limit of JSON input, checked without parsing or recursion."""

from __future__ import annotations

import json

import pytest

from fleetops.jsonlimits import MAX_DEPTH, TooDeep, exceeds_depth, loads


@pytest.mark.parametrize(
    ("text", "deeper"),
    [
        ("[" * 64 + "]" * 64, False),
        ("[" * 65 + "]" * 65, True),
        ("{" + '"a":{' * 64 + "}" * 65, True),
        ('{"a":{' + '"b":' * 0 + "}}", False),
        ("[]" * 500_000, False),
        (json.dumps(["[" * 1000, "{" * 1000]), False),
        (json.dumps({"a": '\\"[[[[' * 100}), False),
        ("[" * 100_000, True),
        ("]" * 100_000, False),
    ],
)
def test_depth_counts_brackets_outside_strings(text: str, deeper: bool) -> None:
    assert exceeds_depth(text) is deeper


def test_loads_refuses_deep_input_by_name_and_reads_the_rest() -> None:
    with pytest.raises(TooDeep) as raised:
        loads("[" * 10_000 + "]" * 10_000, "input")
    assert (
        raised.value.message
        == f"input nests deeper than {MAX_DEPTH} levels of arrays and objects (the limit)"
    )
    assert loads(b'{"a": [1]}', "input") == {"a": [1]}
