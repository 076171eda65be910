"""Copies of the example fleet for the demo and the benchmarks."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from fleetops.bench.sandbox import copy_example
from fleetops.errors import BadInput
from fleetops.spec.loader import load_fleet


def test_a_copy_keeps_the_fleet_and_drops_the_gateways_fixed_port(tmp_path: Path) -> None:
    path = copy_example(tmp_path / "copy")
    fleet = load_fleet(path)
    assert list(fleet.services) == ["auth", "menu", "notifications", "payments", "orders", "gateway"]
    assert "port: 8080" not in path.read_text()
    assert fleet.service("gateway", "dev").instances.desired == 2


def test_a_copy_can_have_its_own_environment_one_instance_each_and_a_subset_of_services(
    tmp_path: Path,
) -> None:
    path = copy_example(tmp_path / "copy", environment="bench-03", instances=1, services=["payments"])
    fleet = load_fleet(path)
    assert sorted(fleet.services) == ["auth", "payments"]  # payments depends on auth
    assert fleet.environments["bench-03"].provider == "local"
    assert [fleet.service(s, "bench-03").instances.desired for s in ("auth", "payments")] == [1, 1]
    assert yaml.safe_load(path.read_text())["services"]["auth"]["instances"] == {
        "min": 1,
        "desired": 1,
        "max": 3,
    }


def test_an_unknown_service_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match=r"unknown services kitchen \(the example has: auth, menu, "):
        copy_example(tmp_path / "copy", services=["kitchen"])


def test_a_subset_of_services_keeps_only_the_datastores_they_use(tmp_path: Path) -> None:
    assert sorted(load_fleet(copy_example(tmp_path / "all")).datastores) == [
        "cache",
        "orders-db",
        "orders-db-prod",
    ]
    assert sorted(load_fleet(copy_example(tmp_path / "orders", services=["orders"])).datastores) == [
        "orders-db"
    ]
    assert load_fleet(copy_example(tmp_path / "menu", services=["menu"])).datastores == {}
