"""``/maintenance/schedules``: add, list, cancel; bad input refused and nothing stored."""

from __future__ import annotations

from datetime import UTC, datetime

from fleetops.server.auth import Role
from fleetops.testing.api import ApiHarness
from fleetops.testing.fake_clock import FakeClock

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
PATH = "/api/v1/maintenance/schedules"


def test_add_list_cancel(api: ApiHarness) -> None:
    api.app.state.clock = FakeClock(NOW)
    operator = api.client(Role.OPERATOR)
    added = operator.post(PATH, json={"cron": "0 2 * * SUN", "duration": "2h", "reason": "db patching"})
    assert (added.status_code, added.json()) == (
        201,
        {
            "id": 1,
            "environment": None,
            "cron": "0 2 * * SUN",
            "duration_seconds": 7200,
            "reason": "db patching",
            "created_by": "operator",
            "created_at": "2026-11-22T09:00:00+00:00",
            "cancelled_at": None,
            "last_started_at": None,
            "last_ended_at": None,
        },
    )
    assert [s["id"] for s in api.client(Role.VIEWER).get(PATH).json()["schedules"]] == [1]
    assert operator.delete(f"{PATH}/1").json()["cancelled_at"] == "2026-11-22T09:00:00+00:00"
    assert api.client(Role.VIEWER).get(PATH).json()["schedules"] == []
    assert operator.delete(f"{PATH}/1").status_code == 404


def test_a_bad_cron_is_refused_and_nothing_is_stored(api: ApiHarness) -> None:
    response = api.client(Role.OPERATOR).post(PATH, json={"cron": "0 25 * * *", "duration": "2h"})
    assert (response.status_code, response.json()["message"]) == (
        400,
        "cron hour '25': expected values from 0 to 23, in order",
    )
    assert api.store.maintenance_schedules.list(active=False) == []


def test_an_id_beyond_any_stored_one_is_refused(api: ApiHarness) -> None:
    # Found by the OpenAPI fuzz: 14338781251152269301344370688 overflowed SQLite's integer (500).
    response = api.client(Role.OPERATOR).delete(f"{PATH}/14338781251152269301344370688")
    assert response.status_code == 422
    assert "schedule_id" in response.text
