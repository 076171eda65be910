"""Property: any file, however broken, loads as a fleet or fails with BadInput listing problems.

Random YAML, random text, and the example fleet with random mutations (keys deleted, values of
the wrong type or the wrong value, unknown keys added, characters damaged) never escape as a
traceback.
"""

import copy
import re
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fleetops.errors import BadInput
from fleetops.spec.fleet import Fleet
from fleetops.spec.loader import load_fleet_text

EXAMPLE_TEXT = (Path(__file__).parents[2] / "examples" / "restaurant" / "fleet.yaml").read_text()
EXAMPLE = yaml.safe_load(EXAMPLE_TEXT)
PROBLEM = re.compile(r"^fleet\.yaml:\d+:\d+ .+?: \S.*$", re.DOTALL)
SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["local", "aws", "30s", "5x", "{python} x.py", "{bad}", "postgres", "p99", "lt-1", "*"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)


def outcome(text: str) -> Fleet | list[str]:
    """Load ``text``; the only acceptable failure is BadInput with well-formed problems."""
    try:
        return load_fleet_text(text, "fleet.yaml")
    except BadInput as err:
        assert err.problems, "BadInput without problems"
        for problem in err.problems:
            assert PROBLEM.match(problem), problem
        return err.problems


def paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(data, dict):
        for key, value in data.items():
            found += paths(value, (*prefix, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found += paths(value, (*prefix, i))
    return found


ALL_PATHS = paths(EXAMPLE)


def mutate(data: Any, path: tuple[Any, ...], how: str, new: Any) -> None:
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if how == "delete":
        del parent[last]
    elif how == "replace":
        parent[last] = new
    elif how == "add" and isinstance(parent, dict):
        parent[f"unknown_{last}"] = new


@SETTINGS
@given(values)
def test_random_yaml(data: Any) -> None:
    outcome(yaml.safe_dump(data))


@SETTINGS
@given(st.text(max_size=200))
def test_random_text(text: str) -> None:
    outcome(text)


@SETTINGS
@given(st.data())
def test_mutated_example(data: st.DataObject) -> None:
    fleet = copy.deepcopy(EXAMPLE)
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        live = paths(fleet)
        if not live:
            break
        path = data.draw(st.sampled_from(live))
        how = data.draw(st.sampled_from(["delete", "replace", "add"]))
        mutate(fleet, path, how, data.draw(values))
    outcome(yaml.safe_dump(fleet, sort_keys=False))


@SETTINGS
@given(st.data())
def test_damaged_example_text(data: st.DataObject) -> None:
    text = EXAMPLE_TEXT
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        at = data.draw(st.integers(min_value=0, max_value=len(text) - 1))
        end = at + data.draw(st.integers(min_value=0, max_value=20))
        text = text[:at] + data.draw(st.text(alphabet=" :-[]{}&*!|>'\"#\n\tab1", max_size=5)) + text[end:]
    outcome(text)


def test_example_is_a_fleet() -> None:
    assert isinstance(outcome(EXAMPLE_TEXT), Fleet)
    assert len(ALL_PATHS) > 200
