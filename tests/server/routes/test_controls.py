"""Routes of the deployment controls: releases, locks, maintenance windows and blocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fleetops.server.auth import Role
from fleetops.store import Outcome
from fleetops.store.notifications import DeliveryStatus
from fleetops.testing.api import ApiHarness
from fleetops.testing.fake_clock import FakeClock

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def _pin(api: ApiHarness, execution: str, service: str = "orders") -> None:
    api.store.releases.pin(
        environment="prod",
        service=service,
        version="v2",
        config={"env": {"DATABASE_URL": "postgresql://app:pw@db/orders", "API_KEY": "k"}},
        secret_versions={"db-password": "ver-3"},
        execution_id=execution,
        created_by="exec",
        now=T0,
    )


def test_releases_are_listed_newest_first_with_secrets_in_config_hidden(api: ApiHarness) -> None:
    _pin(api, "e1")
    _pin(api, "e2")
    _pin(api, "e1", service="menu")
    body = api.client(Role.VIEWER).get("/api/v1/releases", params={"service": "orders"}).json()
    assert [(r["service"], r["number"]) for r in body["releases"]] == [("orders", 2), ("orders", 1)]
    assert body["releases"][0]["config"] == {
        "env": {"DATABASE_URL": "postgresql://app:***@db/orders", "API_KEY": "***"}
    }
    assert body["releases"][0]["secret_versions"] == {"db-password": "ver-3"}


def test_release_filters_are_checked(api: ApiHarness) -> None:
    response = api.client(Role.VIEWER).get("/api/v1/releases", params={"status": "good"})
    assert response.status_code == 422
    assert response.json()["message"].startswith("invalid request: query.status: Input should be 'pinned'")


def test_lock_status_and_force_release_is_audited(api: ApiHarness) -> None:
    api.app.state.clock = FakeClock(T0 + timedelta(minutes=1))
    api.store.locks.acquire("prod", owner="exec-1", reason="deploy v2", lease=timedelta(minutes=15), now=T0)
    held = {
        "environment": "prod",
        "owner": "exec-1",
        "reason": "deploy v2",
        "acquired_at": "2026-11-22T09:00:00+00:00",
        "expires_at": "2026-11-22T09:15:00+00:00",
        "renewed_at": "2026-11-22T09:00:00+00:00",
        "expired": False,
    }
    assert api.client(Role.VIEWER).get("/api/v1/locks").json() == {"locks": [held]}
    assert api.client(Role.VIEWER).get("/api/v1/locks/prod").json() == held
    released = api.client(Role.ADMIN).delete("/api/v1/locks/prod")
    assert (released.status_code, released.json()) == (
        200,
        {"released": held, "stopped": None, "held_by": None},
    )
    missing = api.client(Role.VIEWER).get("/api/v1/locks/prod")
    assert (missing.status_code, missing.json()["message"]) == (404, "environment 'prod' is not locked")
    [entry] = api.store.audit.list(action="locks.force_release")
    assert (entry.actor, entry.target, entry.outcome) == ("admin", "locks/prod", Outcome.SUCCESS)


def test_force_release_of_a_free_environment_is_bad_input(api: ApiHarness) -> None:
    response = api.client(Role.ADMIN).delete("/api/v1/locks/dev")
    assert (response.status_code, response.json()["message"]) == (
        400,
        "environment 'dev' is not locked: there is nothing to release",
    )


def test_maintenance_on_status_and_expiry(api: ApiHarness) -> None:
    clock = FakeClock(T0)
    api.app.state.clock = clock
    started = api.client(Role.OPERATOR).post(
        "/api/v1/maintenance", json={"environment": "prod", "duration": "2h", "reason": "db upgrade"}
    )
    assert started.status_code == 201
    window = {
        "id": started.json()["id"],
        "environment": "prod",
        "reason": "db upgrade",
        "started_by": "operator",
        "starts_at": "2026-11-22T09:00:00+00:00",
        "ends_at": "2026-11-22T11:00:00+00:00",
        "ended_at": None,
        "ended_by": None,
    }
    assert started.json() == window
    viewer = api.client(Role.VIEWER)
    assert viewer.get("/api/v1/maintenance", params={"environment": "prod"}).json() == {"windows": [window]}
    assert viewer.get("/api/v1/maintenance", params={"environment": "dev"}).json() == {"windows": []}
    clock.step(timedelta(hours=2))
    assert viewer.get("/api/v1/maintenance").json() == {"windows": []}


def test_maintenance_off_ends_the_window(api: ApiHarness) -> None:
    api.app.state.clock = FakeClock(T0)
    api.client(Role.OPERATOR).post("/api/v1/maintenance", json={"reason": "incident"})
    ended = api.client(Role.OPERATOR).delete("/api/v1/maintenance").json()
    assert (ended["environment"], ended["ended"]["environment"], ended["ended"]["ended_by"]) == (
        None,
        None,
        "operator",
    )
    again = api.client(Role.OPERATOR).delete("/api/v1/maintenance").json()
    assert again == {"environment": None, "ended": None}


def test_maintenance_needs_a_duration_within_limits(api: ApiHarness) -> None:
    response = api.client(Role.OPERATOR).post("/api/v1/maintenance", json={"duration": "30d", "reason": "x"})
    assert (response.status_code, response.json()["message"]) == (
        400,
        "--for must be between 1s and 7d (maintenance ends by itself), got 30d",
    )


def test_block_and_unblock(api: ApiHarness) -> None:
    api.app.state.clock = FakeClock(T0)
    operator = api.client(Role.OPERATOR)
    blocked = operator.post(
        "/api/v1/block", json={"services": ["orders"], "environment": "prod", "reason": "inc-7"}
    )
    expected = {
        "environment": "prod",
        "service": "orders",
        "reason": "inc-7",
        "blocked_by": "operator",
        "blocked_at": "2026-11-22T09:00:00+00:00",
    }
    assert blocked.json() == {"blocks": [expected]}
    assert api.client(Role.VIEWER).get("/api/v1/blocks", params={"environment": "prod"}).json() == {
        "blocks": [expected]
    }
    removed = operator.post("/api/v1/unblock", json={"services": ["orders"], "environment": "prod"})
    assert removed.json() == {"removed": [expected]}
    assert [e.action for e in api.store.audit.list(action="blocks.*")] == ["blocks.remove", "blocks.add"]


def test_block_refuses_bad_service_names(api: ApiHarness) -> None:
    response = api.client(Role.OPERATOR).post("/api/v1/block", json={"services": ["Bad Name"]})
    assert response.status_code == 400
    assert response.json()["message"].startswith("service name 'Bad Name' is not valid")


def test_controls_work_on_both_databases(api_on_store_url: ApiHarness) -> None:
    api = api_on_store_url
    api.app.state.clock = FakeClock(T0)
    operator = api.client(Role.OPERATOR)
    assert (
        operator.post("/api/v1/maintenance", json={"environment": "prod", "reason": "r"}).status_code == 201
    )
    assert operator.post("/api/v1/block", json={"services": ["orders"]}).status_code == 200
    api.store.locks.acquire("prod", owner="exec-1", reason="deploy", lease=timedelta(minutes=5), now=T0)
    _pin(api, "e1")
    viewer = api.client(Role.VIEWER)
    assert [w["environment"] for w in viewer.get("/api/v1/maintenance").json()["windows"]] == ["prod"]
    assert [
        b["environment"] for b in viewer.get("/api/v1/blocks", params={"environment": "dev"}).json()["blocks"]
    ] == [None]
    assert [lock["owner"] for lock in viewer.get("/api/v1/locks").json()["locks"]] == ["exec-1"]
    assert [r["number"] for r in viewer.get("/api/v1/releases").json()["releases"]] == [1]


def test_notification_deliveries_are_listed(api: ApiHarness) -> None:
    claim = api.store.notifications.claim(
        channel="chat",
        event="deploy.failed",
        event_key="deploy.failed/prod/e1",
        environment="prod",
        execution_id="e1",
        window=timedelta(hours=1),
        now=T0,
    )
    api.store.notifications.finish(
        claim.id, status=DeliveryStatus.FAILED, attempts=3, error="HTTP 500", now=T0
    )
    body = api.client(Role.VIEWER).get("/api/v1/notifications", params={"execution_id": "e1"}).json()
    assert [
        (d["channel"], d["event"], d["status"], d["attempts"], d["error"]) for d in body["deliveries"]
    ] == [("chat", "deploy.failed", "failed", 3, "HTTP 500")]
