"""``GET /api/v1/audit``: filters, paging, and their validation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fleetops.server.auth import Role
from fleetops.store import Outcome
from fleetops.testing.api import ApiHarness

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _seed(api: ApiHarness) -> None:
    for n in range(5):
        api.store.audit.record(
            actor="alice" if n % 2 else "bob",
            action=f"deploy.{'start' if n < 3 else 'cancel'}",
            target=f"env/e{n}",
            arguments={"n": n},
            outcome=Outcome.SUCCESS if n != 4 else Outcome.FAILED,
            at=T0 + timedelta(hours=n),
        )


def _targets(api: ApiHarness, query: str) -> list[str]:
    response = api.client(Role.ADMIN).get(f"/api/v1/audit?{query}")
    assert response.status_code == 200, response.json()
    return [entry["target"] for entry in response.json()["entries"]]


def test_entries_are_listed_newest_first_with_every_field(api_on_store_url: ApiHarness) -> None:
    api = api_on_store_url
    _seed(api)
    body = api.client(Role.ADMIN).get("/api/v1/audit?action=deploy.*&limit=1").json()
    assert body == {
        "entries": [
            {
                "id": body["entries"][0]["id"],
                "at": "2026-01-01T04:00:00Z",
                "actor": "bob",
                "action": "deploy.cancel",
                "target": "env/e4",
                "arguments": {"n": 4},
                "outcome": "failed",
                "error": None,
            }
        ],
        "total": 5,
        "limit": 1,
        "offset": 0,
        "next_offset": 1,
    }


def test_filters(api: ApiHarness) -> None:
    _seed(api)
    assert _targets(api, "actor=alice") == ["env/e3", "env/e1"]
    assert _targets(api, "action=deploy.start") == ["env/e2", "env/e1", "env/e0"]
    assert _targets(api, "outcome=failed") == ["env/e4"]
    assert _targets(api, "since=2026-01-01T01:00:00%2B00:00&until=2026-01-01T03:00:00Z") == [
        "env/e2",
        "env/e1",
    ]


def test_paging_ends_with_no_next_offset(api: ApiHarness) -> None:
    _seed(api)
    body = api.client(Role.ADMIN).get("/api/v1/audit?action=deploy.*&limit=2&offset=4").json()
    assert ([e["target"] for e in body["entries"]], body["next_offset"]) == (["env/e0"], None)


def test_bad_filters_are_named(api: ApiHarness) -> None:
    response = api.client(Role.ADMIN).get("/api/v1/audit?limit=0&outcome=meh&since=yesterday")
    assert response.status_code == 422
    assert response.json()["problems"] == [
        "query.outcome: Input should be 'success', 'failed', 'bad_input' or 'refused' (got 'meh')",
        "query.since: Input should be a valid datetime or date, input is too short (got 'yesterday')",
        "query.limit: Input should be greater than or equal to 1 (got '0')",
    ]


def test_an_offset_beyond_the_databases_integers_is_422(api: ApiHarness) -> None:
    response = api.client(Role.ADMIN).get("/api/v1/audit", params={"offset": str(10**30)})
    assert response.status_code == 422
    assert response.json()["problems"] == [
        f"query.offset: Input should be less than or equal to 2147483647 (got '{10**30}')"
    ]
