"""Dependency graph: waves as topological levels, cycles as paths."""

import pytest

from fleetops.spec.graph import CycleError, cycles, waves

RESTAURANT = {
    "gateway": ["auth", "menu", "orders"],
    "orders": ["payments", "menu", "notifications"],
    "payments": ["auth"],
    "auth": [],
    "menu": [],
    "notifications": [],
}


def test_waves_are_levels_sorted_by_name() -> None:
    assert waves(RESTAURANT) == [["auth", "menu", "notifications"], ["payments"], ["orders"], ["gateway"]]


def test_waves_ignore_names_outside_the_graph() -> None:
    assert waves({"a": ["missing"], "b": ["a"]}) == [["a"], ["b"]]


def test_long_chain_does_not_recurse() -> None:
    chain = {str(i): [str(i + 1)] for i in range(5000)} | {"5000": []}
    assert len(waves(chain)) == 5001


def test_cycle_is_reported_as_its_path() -> None:
    graph = {**RESTAURANT, "payments": ["auth", "orders"]}
    with pytest.raises(CycleError, match=r"^dependency cycle: orders -> payments -> orders$") as err:
        waves(graph)
    assert err.value.path == ["orders", "payments", "orders"]


def test_one_cycle_per_strongly_connected_part() -> None:
    graph = {"a": ["a"], "b": ["c"], "c": ["d"], "d": ["b"], "e": ["b"]}
    assert cycles(graph) == [["a", "a"], ["b", "c", "d", "b"]]


def test_no_cycles() -> None:
    assert cycles(RESTAURANT) == []
