"""``GET /reports``: the window a request asks for, and what it refuses."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from fleetops.control.deployments import Deployments
from fleetops.server.auth import Role
from fleetops.spec.loader import load_fleet
from fleetops.testing.api import ApiHarness, api_harness
from fleetops.testing.fake_clock import FakeClock
from fleetops.testing.fleet_runtime import InMemoryFleetRuntime
from fleetops.testing.local import EXAMPLES

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def api_with_fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiHarness]:
    with api_harness(tmp_path_factory.mktemp("state")) as api:
        api.app.state.environments.put(InMemoryFleetRuntime(load_fleet(EXAMPLES / "fleet.yaml"), "dev"))
        deployments = Deployments(api.app.state.executions, api.store, api.app.state.environments)
        deployments.register()
        api.app.state.deployments = deployments
        api.app.state.clock = FakeClock(NOW)
        yield api


@pytest.mark.parametrize(
    ("query", "start"),
    [
        ({}, "2026-11-15T09:00:00+00:00"),
        ({"period": "monthly"}, "2026-10-23T09:00:00+00:00"),
        ({"since": "36h"}, "2026-11-20T21:00:00+00:00"),
        ({"since": "2026-11-01T00:00:00Z"}, "2026-11-01T00:00:00+00:00"),
    ],
)
def test_the_window_ends_now(api_with_fleet: ApiHarness, query: dict[str, str], start: str) -> None:
    body = api_with_fleet.client(Role.VIEWER).get("/api/v1/reports", params=query).json()
    assert (body["environment"], body["start"], body["end"]) == ("dev", start, NOW.isoformat())
    assert body["deployments"]["count"] == 0


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"period": "weekly", "since": "1d"}, "period and since: give one of them"),
        ({"since": "2026-11-01T00:00:00"}, "since: 2026-11-01T00:00:00 has no time zone (add Z or +00:00)"),
        ({"since": "2027-01-01T00:00:00Z"}, "since: 2027-01-01T00:00:00Z is not in the past"),
    ],
)
def test_a_bad_window_is_refused(api_with_fleet: ApiHarness, query: dict[str, str], message: str) -> None:
    response = api_with_fleet.client(Role.VIEWER).get("/api/v1/reports", params=query)
    assert (response.status_code, response.json()["message"]) == (400, message)
