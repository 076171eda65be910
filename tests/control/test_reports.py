"""``delivery_report`` over a SQLite store filled with known executions, releases and histories,
and an access log read by the real query engine: exact figures, DORA bands included."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from fleetops.control.reports import delivery_report
from fleetops.engine.history import HistoryEvent
from fleetops.ops.logquery import LogSource, QueryResult, run_query
from fleetops.spec.loader import load_fleet
from fleetops.store import Store
from fleetops.store.executions import ExecutionRecord
from fleetops.testing.fleet_runtime import InMemoryFleetRuntime
from fleetops.testing.local import EXAMPLES

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
DEPLOY = "arn:aws:states:us-east-1:123456789012:stateMachine:fleetops-deploy"
ROLLBACK = "arn:aws:states:us-east-1:123456789012:stateMachine:fleetops-rollback"
OWNER = "test-server"


class _Runtime(InMemoryFleetRuntime):
    """The in-memory runtime with an access log the real query engine reads."""

    def __init__(self, access_log: Path) -> None:
        super().__init__(load_fleet(EXAMPLES / "fleet.yaml"), "dev")
        self.access_log = access_log

    def query_logs(
        self,
        query: str,
        *,
        services: Sequence[str] | None,
        platform: bool,
        start: datetime | None,
        end: datetime | None,
    ) -> QueryResult:
        source = LogSource("/fleetops/dev/load-balancer", "access", self.access_log)
        return run_query(query, [source], start=start, end=end)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The week's report, computed once for the module's tests."""
    folder = tmp_path_factory.mktemp("reports")
    with Store.open(None, folder) as store:
        _fill(store)
        _access_log(folder / "access.log")
        found = delivery_report(
            _Runtime(folder / "access.log"),
            store,
            deploy_machine=DEPLOY,
            rollback_machine=ROLLBACK,
            start=NOW - timedelta(days=7),
            end=NOW,
        )
        yield found.to_json()


def _execution(
    store: Store,
    machine: str,
    name: str,
    status: str,
    started: datetime,
    *,
    seconds: float | None,
    error: str | None = None,
    cause: str | None = None,
    by: str = "alice",
) -> ExecutionRecord:
    record = ExecutionRecord(
        arn=f"{machine.replace('stateMachine', 'execution')}:{name}",
        state_machine_arn=machine,
        name=name,
        status=status,
        definition="{}",
        input="{}",
        output=None,
        error=error,
        cause=cause,
        start_date=started,
        stop_date=None if seconds is None else started + timedelta(seconds=seconds),
        lease_owner=OWNER,
        lease_expires=NOW + timedelta(days=30),
        started_by=by,
    )
    return store.executions.create(record)


def _failed_task(store: Store, record: ExecutionRecord, resource: str, after: float) -> None:
    at = record.start_date + timedelta(seconds=after)
    events = [
        HistoryEvent(1, 0, record.start_date, "ExecutionStarted", {"input": "{}"}, scope=""),
        HistoryEvent(2, 1, at, "TaskScheduled", {"resource": resource, "parameters": "{}"}, scope="s/1"),
        HistoryEvent(3, 2, at, "TaskFailed", {"error": "fleetops.RolloutFailed", "cause": "x"}, scope="s/1"),
    ]
    store.executions.append([(record.arn, e) for e in events], OWNER)


def _release(
    store: Store, execution: str, service: str, created: datetime, *, verified_after: float | None = None
) -> int:
    release = store.releases.pin(
        environment="dev",
        service=service,
        version="v2",
        config={},
        secret_versions={},
        execution_id=execution,
        created_by="alice",
        now=created,
    )
    if verified_after is not None:
        store.releases.mark_verified(
            "dev", service, release.number, now=created + timedelta(seconds=verified_after)
        )
    return release.number


def _deployed(store: Store, name: str, started: datetime, seconds: float, services: Sequence[str]) -> None:
    _execution(store, DEPLOY, name, "SUCCEEDED", started, seconds=seconds)
    for service in services:
        _release(store, name, service, started, verified_after=seconds)


def _fill(store: Store) -> None:
    """A week of dev: three deployments succeeded (100 s, 200 s, 400 s), one failed at its
    rollout after 60 s and rolled back by 300 s, one rejected at its approval gate, one running,
    one refused (no release), one before the week; a manual rollback."""
    day = timedelta(days=1)
    _deployed(store, "deploy-dev-20261114T090000-0001", NOW - 8 * day, 50, ["menu"])  # before the week
    _deployed(store, "deploy-dev-20261116T090000-0002", NOW - 6 * day, 100, ["menu"])
    _deployed(store, "promote-dev-20261117T090000-0003", NOW - 5 * day, 200, ["orders"])
    failed = _execution(
        store,
        DEPLOY,
        "deploy-dev-20261118T090000-0004",
        "FAILED",
        NOW - 4 * day,
        seconds=300,
        error="fleetops.RolloutFailed",
        cause="i-7 failed its health checks: connection refused",
    )
    number = _release(store, failed.name, "menu", NOW - 4 * day)
    store.releases.mark_failed("dev", "menu", number, now=NOW - 4 * day + timedelta(seconds=300))
    _failed_task(store, failed, "fleetops:deploy-service", 60)
    _deployed(store, "deploy-dev-20261119T090000-0005", NOW - 3 * day, 400, ["menu", "orders"])
    rejected = _execution(
        store,
        DEPLOY,
        "deploy-dev-20261120T090000-0006",
        "FAILED",
        NOW - 2 * day,
        seconds=30,
        error="fleetops.ApprovalRejected",
    )
    _release(store, rejected.name, "menu", NOW - 2 * day)
    _failed_task(store, rejected, "fleetops:deploy-approval.waitForTaskToken", 30)
    _execution(
        store,
        DEPLOY,
        "deploy-dev-20261120T100000-0007",
        "FAILED",
        NOW - 2 * day,
        seconds=1,
        error="fleetops.Refused",
    )
    _execution(store, DEPLOY, "deploy-stage-20261120T100000-0008", "SUCCEEDED", NOW - 2 * day, seconds=10)
    running = _execution(
        store, DEPLOY, "deploy-dev-20261122T080000-0009", "RUNNING", NOW - timedelta(hours=1), seconds=None
    )
    _release(store, running.name, "gateway", NOW - timedelta(hours=1))
    _execution(
        store, ROLLBACK, "rollback-dev-20261121T090000-000a", "SUCCEEDED", NOW - day, seconds=90, by="bob"
    )
    _incidents(store)


def _incidents(store: Store) -> None:
    """dev: a SEV1 resolved in 20 minutes and a SEV3 in 40, a SEV3 still open, one opened before
    the week; a stage incident."""
    day = timedelta(days=1)
    for environment, severity, opened, took in [
        ("dev", "SEV2", NOW - 8 * day, timedelta(minutes=5)),
        ("dev", "SEV1", NOW - 4 * day, timedelta(minutes=20)),
        ("dev", "SEV3", NOW - 2 * day, timedelta(minutes=40)),
        ("dev", "SEV3", NOW - day, None),
        ("stage", "SEV1", NOW - day, None),
    ]:
        incident = store.incidents.open(
            environment=environment,
            severity=severity,
            title="t",
            description=None,
            status="investigating",
            message="m",
            eta_at=None,
            by="alice",
            now=opened,
        )
        if took is not None:
            store.incidents.resolve(incident.id, summary="s", by="alice", now=opened + took)


def _access_log(path: Path) -> None:
    lines = (
        [("orders", 200)] * 9990 + [("orders", 503)] * 5 + [("gateway", 200)] * 998 + [("gateway", 500)] * 2
    )
    stamp = (NOW - timedelta(hours=2)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    path.write_text(
        "".join(json.dumps({"timestamp": stamp, "service": s, "status": c}) + "\n" for s, c in lines)
    )


def test_deployment_figures(report: dict[str, Any]) -> None:
    assert report["deployments"] == {
        "count": 4,
        "succeeded": 3,
        "failed": 1,
        "running": 1,
        "not_deployed": 1,
        "success_rate": 0.75,
        "average_seconds": 250.0,
        "p95_seconds": 400.0,
    }
    assert report["mttr_seconds"] == 240.0
    assert report["not_restored"] == []
    assert report["failures"] == [{"service": "menu", "step": "deploy-service", "count": 1}]


def test_rollbacks_and_their_causes(report: dict[str, Any]) -> None:
    rollbacks = report["rollbacks"]
    assert (rollbacks["count"], rollbacks["automatic"], rollbacks["manual"]) == (2, 1, 1)
    assert rollbacks["causes"] == [
        {"cause": "i-7 failed its health checks: connection refused", "count": 1},
        {"cause": "manual rollback by bob", "count": 1},
    ]
    assert rollbacks["items"][0]["services"] == ["menu"]


def test_dora_keys_and_bands(report: dict[str, Any]) -> None:
    assert report["dora"] == {
        "deployment_frequency": {"per_day": 3 / 7, "band": "high"},
        "lead_time": {"median_seconds": 300.0, "mean_seconds": 275.0, "changes": 4, "band": "elite"},
        "change_failure_rate": {"rate": 0.25, "band": "low"},
        "time_to_restore": {"median_seconds": 240.0, "band": "elite"},
    }


def test_availability_and_error_budget_against_the_slo(report: dict[str, Any]) -> None:
    measured = {a["service"]: a for a in report["availability"]}
    assert measured["orders"] == {
        "service": "orders",
        "requests": 9995,
        "errors": 5,
        "availability": pytest.approx(100 * 9990 / 9995),
        "slo": 99.9,
        "error_budget_errors": pytest.approx(9.995),
        "error_budget_remaining": pytest.approx(1 - 5 / 9.995),
        "slo_met": True,
    }
    assert (measured["gateway"]["availability"], measured["gateway"]["slo_met"]) == (99.8, False)
    assert measured["gateway"]["error_budget_remaining"] == pytest.approx(-1.0)
    assert measured["menu"] == {
        "service": "menu",
        "requests": 0,
        "errors": 0,
        "availability": None,
        "slo": None,
        "error_budget_errors": None,
        "error_budget_remaining": None,
        "slo_met": None,
    }


def test_per_day_series(report: dict[str, Any]) -> None:
    days = report["series"]["per_day"]
    assert [(d["day"], d["succeeded"], d["failed"]) for d in days] == [
        ("2026-11-15", 0, 0),
        ("2026-11-16", 1, 0),
        ("2026-11-17", 1, 0),
        ("2026-11-18", 0, 1),
        ("2026-11-19", 1, 0),
        ("2026-11-20", 0, 0),
        ("2026-11-21", 0, 0),
        ("2026-11-22", 0, 0),
    ]


def test_incidents_opened_in_the_week(report: dict[str, Any]) -> None:
    assert report["incidents"] == {
        "opened": 3,
        "by_severity": {"SEV1": 1, "SEV2": 0, "SEV3": 2, "SEV4": 0},
        "resolved": 2,
        "open": 1,
        "mean_time_to_resolve_seconds": 1800.0,
    }
