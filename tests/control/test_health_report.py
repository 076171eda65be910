"""``health_report`` on the in-memory runtime and a SQLite store: each check flips the verdict alone."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fleetops.control.health_report import health_report, traffic
from fleetops.errors import BadInput
from fleetops.ops.alarms import AlarmState, AlarmStatus
from fleetops.ops.health import Checklist, CheckResult, HealthReport, Outcome, Verdict
from fleetops.ops.logquery import LogSource, QueryResult, run_query
from fleetops.ops.maintenance import start_maintenance
from fleetops.ops.secrets.cipher import Cipher
from fleetops.ops.secrets.vault import SecretsVault
from fleetops.spec.loader import load_fleet
from fleetops.store import Store
from fleetops.store.backups import Backup
from fleetops.store.executions import ExecutionRecord
from fleetops.testing.fake_clock import FakeClock
from fleetops.testing.fleet_runtime import InMemoryFleetRuntime
from fleetops.testing.local import EXAMPLES

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:fleetops-deploy"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A store with every declared secret's first value, as ``fleetops up`` leaves it."""
    with Store.open(None, tmp_path) as opened:
        _put_secrets(opened, tmp_path, skip=())
        yield opened


def _put_secrets(store: Store, folder: Path, *, skip: Sequence[str]) -> None:
    vault = SecretsVault(store, Cipher.from_state_dir(folder), clock=FakeClock(NOW))
    for name, secret in load_fleet(EXAMPLES / "fleet.yaml").secrets.items():
        for environment in ("dev", "prod"):
            if name not in skip:
                vault.ensure(environment, name, secret.length, by="fleetops up")


@pytest.fixture
def runtime() -> InMemoryFleetRuntime:
    return InMemoryFleetRuntime(load_fleet(EXAMPLES / "fleet.yaml"), "dev")


def _report(
    runtime: InMemoryFleetRuntime, store: Store, checklist: Checklist = Checklist.ALL
) -> HealthReport:
    return health_report(runtime, store, [MACHINE], checklist=checklist, now=NOW)


def _not_ok(report: HealthReport) -> list[tuple[str, str, str]]:
    return [(r.check, r.outcome.value, r.evidence) for r in report.results if r.outcome.value != "ok"]


class _Alarms:
    """The alarm reader of a runtime with one alarm in ALARM (the in-memory runtime has none)."""

    def __init__(self, alarm: AlarmStatus) -> None:
        self.alarm = alarm

    def describe(self, *, service: str | None = None, state: str | None = None) -> list[AlarmStatus]:
        return [self.alarm] if state in (None, self.alarm.state.value) else []


def _record(name: str, status: str, started: datetime, error: str | None = None) -> ExecutionRecord:
    return ExecutionRecord(
        arn=f"{MACHINE.replace('stateMachine', 'execution')}:{name}",
        state_machine_arn=MACHINE,
        name=name,
        status=status,
        definition="{}",
        input="{}",
        output=None,
        error=error,
        cause=None,
        start_date=started,
        stop_date=None,
        lease_owner=None,
        lease_expires=None,
    )


def test_a_fleet_as_deployed_is_healthy(runtime: InMemoryFleetRuntime, store: Store) -> None:
    report = _report(runtime, store)
    assert (report.verdict, _not_ok(report)) == (Verdict.HEALTHY, [])
    assert [r.evidence for r in report.results if r.check == "services"][:2] == [
        "auth: 2/2 healthy",
        "menu: 2/2 healthy",
    ]


def test_killed_instances_fail_their_service(runtime: InMemoryFleetRuntime, store: Store) -> None:
    for instance in runtime.fleets["menu"].live():
        asyncio.run(runtime.fleets["menu"].terminate(instance.instance_id))
    report = _report(runtime, store, Checklist.POST_DEPLOY)
    assert (report.verdict, _not_ok(report)) == (Verdict.FAILING, [("services", "fail", "menu: 0/2 healthy")])


def test_an_alarm_in_alarm_fails(runtime: InMemoryFleetRuntime, store: Store) -> None:
    name, alarm = next(iter(runtime.fleet.alarms.items()))
    status = AlarmStatus(name, "orders", alarm, AlarmState.ALARM, "Threshold Crossed", NOW)
    runtime.alarms = _Alarms(status)  # type: ignore[attr-defined]
    report = _report(runtime, store)
    assert (report.verdict, _not_ok(report)) == (
        Verdict.FAILING,
        [("alarms", "fail", f"{name} (orders) in ALARM: Threshold Crossed")],
    )


def test_a_stale_lock_degrades(runtime: InMemoryFleetRuntime, store: Store) -> None:
    started = NOW - timedelta(hours=2)
    store.locks.acquire("dev", owner="deploy-dev-1", reason="deploy", lease=timedelta(hours=3), now=started)
    report = _report(runtime, store, Checklist.PRE_DEPLOY)
    assert (report.verdict, _not_ok(report)) == (
        Verdict.DEGRADED,
        [("lock", "warn", "locked by deploy-dev-1 (deploy) for 2h 0m, longer than 1h 0m")],
    )


def test_a_failed_execution_of_the_environment_degrades(runtime: InMemoryFleetRuntime, store: Store) -> None:
    store.executions.create(
        _record("deploy-dev-20261122T080000-ab12", "FAILED", NOW - timedelta(hours=1), "E")
    )
    store.executions.create(_record("deploy-stage-20261122T080000-cd34", "FAILED", NOW - timedelta(hours=1)))
    store.executions.create(_record("deploy-dev-20261120T080000-ef56", "FAILED", NOW - timedelta(days=2)))
    report = _report(runtime, store)
    assert (report.verdict, _not_ok(report)) == (
        Verdict.DEGRADED,
        [("executions", "warn", "deploy-dev-20261122T080000-ab12 FAILED (E)")],
    )


def test_a_stuck_execution_degrades(runtime: InMemoryFleetRuntime, store: Store) -> None:
    store.executions.create(
        _record("deploy-dev-20261121T080000-ab12", "RUNNING", NOW - timedelta(days=1, hours=1))
    )
    report = _report(runtime, store)
    assert _not_ok(report) == [
        ("executions", "warn", "deploy-dev-20261121T080000-ab12 RUNNING for 25h 0m, longer than 1h 0m")
    ]


def test_maintenance_on_degrades(runtime: InMemoryFleetRuntime, store: Store) -> None:
    start_maintenance(
        store,
        environment="dev",
        duration=timedelta(minutes=30),
        reason="db upgrade",
        by="alice",
        clock=FakeClock(NOW),
    )
    report = _report(runtime, store)
    assert (report.verdict, _not_ok(report)) == (
        Verdict.DEGRADED,
        [("maintenance", "warn", "maintenance on for 30m 0s more, by alice: db upgrade")],
    )


def test_an_open_incident_degrades_until_it_is_resolved(runtime: InMemoryFleetRuntime, store: Store) -> None:
    opened = store.incidents.open(
        environment="dev",
        severity="SEV2",
        title="checkout errors",
        description=None,
        status="investigating",
        message="m",
        eta_at=None,
        by="alice",
        now=NOW - timedelta(minutes=25),
    )
    report = _report(runtime, store)
    assert (report.verdict, _not_ok(report)) == (
        Verdict.DEGRADED,
        [("incidents", "warn", f"SEV2 #{opened.id} checkout errors: investigating, open for 25m 0s")],
    )
    store.incidents.resolve(opened.id, summary="s", by="alice", now=NOW)
    assert _report(runtime, store).verdict is Verdict.HEALTHY


def test_a_secret_overdue_for_rotation_degrades(
    runtime: InMemoryFleetRuntime, store: Store, tmp_path: Path
) -> None:
    made = NOW - timedelta(days=31)  # the example rotates db-password every 30d
    SecretsVault(store, Cipher.from_state_dir(tmp_path), clock=FakeClock(made)).put(
        "dev", "db-password", "db-password-value-1", by="alice"
    )
    report = _report(runtime, store)
    assert (report.verdict, _not_ok(report)) == (
        Verdict.DEGRADED,
        [("secrets", "warn", "db-password: rotation overdue by 24h 0m (every 30d)")],
    )


def test_a_backup_past_its_schedule_degrades_and_a_failed_verification_fails(
    runtime: InMemoryFleetRuntime, store: Store
) -> None:
    store.releases.pin(
        environment="dev",
        service="menu",
        version="v1",
        config={},
        secret_versions={},
        execution_id="up",
        created_by="alice",
        now=NOW - timedelta(days=2),
    )  # fmt: skip  (the environment's first release: it runs since then)
    report = _report(runtime, store, Checklist.DAILY)
    assert [r for r in _not_ok(report) if r[0] == "backups"] == [
        ("backups", "warn", "orders-db: no backup since 2026-11-20 09:00Z (every 1h)"),
        ("backups", "warn", "cache: no backup since 2026-11-20 09:00Z (every 6h)"),
    ]
    taken = store.backups.add(_backup("b-1", "orders-db", NOW - timedelta(minutes=10)))
    store.backups.add(_backup("b-2", "cache", NOW - timedelta(minutes=10)))
    store.backups.record_verification(taken, status="failed", at=NOW, duration_ms=5, detail="sha256 differs")
    report = _report(runtime, store, Checklist.DAILY)
    assert (report.verdict, _not_ok(report)) == (
        Verdict.FAILING,
        [("backups", "fail", "orders-db: newest verification failed: sha256 differs")],
    )


def _backup(backup_id: str, datastore: str, at: datetime) -> Backup:
    return Backup(
        backup_id=backup_id, environment="dev", datastore=datastore, kind="sqlite", created_at=at,
        duration_ms=10, location=f"/backups/{backup_id}", size_bytes=1, sha256="0" * 64, tool="sqlite3",
        tool_version="3", source_position=at.isoformat(), contents={},
    )  # fmt: skip


def test_a_checklist_runs_only_its_checks(runtime: InMemoryFleetRuntime, store: Store) -> None:
    start_maintenance(
        store, environment="dev", duration=timedelta(minutes=30), reason="x", by="alice", clock=FakeClock(NOW)
    )
    post = _report(runtime, store, Checklist.POST_DEPLOY)
    assert (post.verdict, sorted({r.check for r in post.results})) == (
        Verdict.HEALTHY,
        ["alarms", "datastores", "services", "traffic"],
    )


class _AccessLog:
    """A runtime whose platform logs are one access log (the real query engine reads it)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def query_logs(
        self,
        query: str,
        *,
        services: Sequence[str] | None,
        platform: bool,
        start: datetime | None,
        end: datetime | None,
    ) -> QueryResult:
        assert (services, platform) == ([], True)
        return run_query(
            query, [LogSource("/fleetops/dev/load-balancer", "access", self.path)], start=start, end=end
        )


def _requests(path: Path, at: datetime, answers: list[tuple[int, int]]) -> None:
    with path.open("a") as out:
        for status, response_time_ms in answers:
            stamp = at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
            record = {"timestamp": stamp, "status": status, "response_time_ms": response_time_ms}
            out.write(json.dumps(record) + "\n")


def test_traffic_reads_the_access_log_against_the_last_day(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    _requests(log, NOW - timedelta(hours=3), [(200, 10)] * 95 + [(500, 10)] * 5)
    _requests(log, NOW - timedelta(minutes=1), [(200, 10), (200, 20), (503, -1), (503, -1)])
    assert traffic(_AccessLog(log), NOW) == [
        CheckResult(
            "traffic",
            Outcome.FAIL,
            "last 5m: 4 requests, 50.0% 5XX, p95 20 ms; last day: 104 requests, 6.7% 5XX, p95 10 ms",
        )
    ]


def test_traffic_is_not_measured_without_an_access_log(runtime: InMemoryFleetRuntime) -> None:
    assert traffic(object(), NOW) == [
        CheckResult("traffic", Outcome.OK, "not measured: this runtime has no access log")
    ]


def test_the_lock_bound_is_twice_the_plans_estimate_when_that_is_longer(store: Store) -> None:
    prod = InMemoryFleetRuntime(load_fleet(EXAMPLES / "fleet.yaml"), "prod")  # plan estimate 1h 17m
    store.locks.acquire(
        "prod", owner="deploy-prod-1", reason="deploy", lease=timedelta(hours=9), now=NOW - timedelta(hours=2)
    )
    assert _not_ok(_report(prod, store, Checklist.PRE_DEPLOY)) == []
    later = health_report(prod, store, [MACHINE], checklist="pre-deploy", now=NOW + timedelta(hours=1))
    assert _not_ok(later) == [
        ("lock", "warn", "locked by deploy-prod-1 (deploy) for 3h 0m, longer than 2h 34m")
    ]


def test_a_checklist_of_the_fleet_file_runs_its_checks(tmp_path: Path, store: Store) -> None:
    text = (EXAMPLES / "fleet.yaml").read_text() + "\nchecklists:\n  release-day: [maintenance, lock]\n"
    (tmp_path / "fleet.yaml").write_text(text)
    runtime = InMemoryFleetRuntime(load_fleet(tmp_path / "fleet.yaml"), "dev")
    report = _report_named(runtime, store, "release-day")
    assert [(r.check, r.evidence) for r in report.results] == [
        ("maintenance", "maintenance off"),
        ("lock", "not locked"),
    ]


def test_an_unknown_checklist_is_refused_naming_the_known_ones(
    runtime: InMemoryFleetRuntime, store: Store
) -> None:
    with pytest.raises(
        BadInput, match=r"^unknown checklist 'pre-deplyo' \(known: all, daily, post-deploy, pre-deploy\)$"
    ):
        _report_named(runtime, store, "pre-deplyo")


def test_the_fleet_file_refuses_an_unknown_check_in_a_checklist(tmp_path: Path) -> None:
    text = (EXAMPLES / "fleet.yaml").read_text() + "\nchecklists:\n  release-day: [lcok]\n"
    (tmp_path / "fleet.yaml").write_text(text)
    with pytest.raises(BadInput) as raised:
        load_fleet(tmp_path / "fleet.yaml")
    assert len(raised.value.problems) == 1 and "checklists.release-day[0]" in raised.value.problems[0]


def _report_named(runtime: InMemoryFleetRuntime, store: Store, checklist: str) -> HealthReport:
    return health_report(runtime, store, [MACHINE], checklist=checklist, now=NOW)


def test_a_required_secret_without_a_current_value_fails_naming_service_and_secret(
    runtime: InMemoryFleetRuntime, tmp_path: Path
) -> None:
    with Store.open(None, tmp_path / "bare") as bare:
        _put_secrets(bare, tmp_path / "bare", skip=("payments-api-key",))
        report = _report(runtime, bare, Checklist.PRE_DEPLOY)
    assert (report.verdict, _not_ok(report)) == (
        Verdict.FAILING,
        [
            (
                "required-secrets",
                "fail",
                "payments: secret payments-api-key has no AWSCURRENT value in the dev secret store",
            )
        ],
    )


def test_required_secrets_all_current_are_ok(runtime: InMemoryFleetRuntime, store: Store) -> None:
    report = _report(runtime, store, Checklist.PRE_DEPLOY)
    assert [(r.outcome, r.evidence) for r in report.results if r.check == "required-secrets"] == [
        (Outcome.OK, "3 secrets needed by 3 services, each with a current value")
    ]


def test_without_a_version_the_version_check_says_it_is_skipped(
    runtime: InMemoryFleetRuntime, store: Store
) -> None:
    report = _report(runtime, store, Checklist.PRE_DEPLOY)
    assert [(r.outcome, r.evidence) for r in report.results if r.check == "version"] == [
        (Outcome.OK, "skipped: no version given (--version V checks it)")
    ]


def test_a_version_that_failed_here_before_degrades_on_a_local_environment(
    runtime: InMemoryFleetRuntime, store: Store
) -> None:
    local = (
        "v2 is a valid version; a local environment has no image to look for "
        "(each service's command runs with it as {version})"
    )
    report = health_report(runtime, store, [MACHINE], checklist="pre-deploy", now=NOW, version="v2")
    assert (report.verdict, [r.evidence for r in report.results if r.check == "version"]) == (
        Verdict.HEALTHY,
        [local],
    )
    pinned = store.releases.pin(
        environment="dev", service="menu", version="v2", config={}, secret_versions={},
        execution_id="deploy-dev-1", created_by="alice", now=NOW - timedelta(hours=1),
    )  # fmt: skip
    store.releases.mark_failed("dev", "menu", pinned.number, now=NOW)
    report = health_report(runtime, store, [MACHINE], checklist="pre-deploy", now=NOW, version="v2")
    assert (report.verdict, _not_ok(report)) == (
        Verdict.DEGRADED,
        [
            (
                "version",
                "warn",
                "menu: release #1 of v2 here failed: deploying it again may fail the same way",
            )
        ],
    )


@pytest.mark.parametrize(
    ("version", "checklist", "message"),
    [
        ("v 2", "pre-deploy", r"^version 'v 2' is not a version: letters, digits"),
        ("-v2", "pre-deploy", r"^version '-v2' is not a version"),
        ("v2", "post-deploy", r"^checklist 'post-deploy' has no version check to read a version"),
    ],
)
def test_a_bad_version_or_one_no_check_reads_is_refused(
    runtime: InMemoryFleetRuntime, store: Store, version: str, checklist: str, message: str
) -> None:
    with pytest.raises(BadInput, match=message):
        health_report(runtime, store, [MACHINE], checklist=checklist, now=NOW, version=version)
