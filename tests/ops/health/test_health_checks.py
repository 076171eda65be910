"""Each health check alone: its outcome and exact evidence, and the verdict it leads to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fleetops.ops.health import (
    AlarmInAlarm,
    CheckResult,
    ExecutionSeen,
    HeldLock,
    OpenWindow,
    Outcome,
    RequiredSecret,
    ServiceCounts,
    TrafficWindow,
    Verdict,
    VersionSeen,
    check_alarms,
    check_config,
    check_executions,
    check_lock,
    check_maintenance,
    check_required_secrets,
    check_services,
    check_traffic,
    check_version,
    verdict_of,
)

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def test_a_service_at_its_desired_count_is_ok() -> None:
    assert check_services([ServiceCounts("menu", 2, 2)]) == [
        CheckResult("services", Outcome.OK, "menu: 2/2 healthy")
    ]


def test_a_service_below_its_desired_count_warns_with_target_health() -> None:
    found = check_services([ServiceCounts("menu", 2, 1, ("i-2 InService unhealthy: connection refused",))])
    assert found == [
        CheckResult(
            "services", Outcome.WARN, "menu: 1/2 healthy (i-2 InService unhealthy: connection refused)"
        )
    ]


def test_a_service_without_a_healthy_instance_fails() -> None:
    assert check_services([ServiceCounts("menu", 2, 0)]) == [
        CheckResult("services", Outcome.FAIL, "menu: 0/2 healthy")
    ]


def test_a_service_scaled_to_zero_is_ok() -> None:
    assert check_services([ServiceCounts("menu", 0, 0)])[0].outcome is Outcome.OK


def test_an_alarm_in_alarm_fails() -> None:
    found = check_alarms([AlarmInAlarm("high-5xx", "orders", "Threshold Crossed: 1 datapoint [9.0]")])
    assert found == [
        CheckResult(
            "alarms", Outcome.FAIL, "high-5xx (orders) in ALARM: Threshold Crossed: 1 datapoint [9.0]"
        )
    ]
    assert check_alarms([]) == [CheckResult("alarms", Outcome.OK, "no alarm in ALARM")]


def test_a_lock_held_longer_than_the_bound_warns() -> None:
    lock = HeldLock("deploy-dev-1", "deploy", NOW - timedelta(minutes=65))
    assert check_lock(lock, now=NOW, bound=HOUR) == [
        CheckResult("lock", Outcome.WARN, "locked by deploy-dev-1 (deploy) for 1h 5m, longer than 1h 0m")
    ]


def test_a_lock_held_within_the_bound_is_ok() -> None:
    lock = HeldLock("deploy-dev-1", "deploy", NOW - timedelta(minutes=3, seconds=2))
    assert check_lock(lock, now=NOW, bound=HOUR) == [
        CheckResult("lock", Outcome.OK, "locked by deploy-dev-1 (deploy) for 3m 2s")
    ]
    assert check_lock(None, now=NOW, bound=HOUR) == [CheckResult("lock", Outcome.OK, "not locked")]


def test_a_failed_execution_warns() -> None:
    failed = ExecutionSeen("deploy-dev-x", "FAILED", NOW - HOUR, "fleetops.RolloutFailed")
    assert check_executions([failed], now=NOW, stuck_after=HOUR) == [
        CheckResult("executions", Outcome.WARN, "deploy-dev-x FAILED (fleetops.RolloutFailed)")
    ]


def test_an_execution_running_longer_than_stuck_after_warns() -> None:
    stuck = ExecutionSeen("deploy-dev-y", "RUNNING", NOW - timedelta(minutes=90))
    assert check_executions([stuck], now=NOW, stuck_after=HOUR) == [
        CheckResult("executions", Outcome.WARN, "deploy-dev-y RUNNING for 1h 30m, longer than 1h 0m")
    ]


def test_executions_that_succeeded_or_run_briefly_are_ok() -> None:
    seen = [
        ExecutionSeen("deploy-dev-a", "SUCCEEDED", NOW - HOUR),
        ExecutionSeen("deploy-dev-b", "RUNNING", NOW - timedelta(minutes=5)),
    ]
    assert check_executions(seen, now=NOW, stuck_after=HOUR) == [
        CheckResult("executions", Outcome.OK, "2 in the window, none failed or stuck")
    ]


def test_maintenance_on_warns() -> None:
    window = OpenWindow("db upgrade", "alice", NOW + timedelta(minutes=20))
    assert check_maintenance([window], now=NOW) == [
        CheckResult("maintenance", Outcome.WARN, "maintenance on for 20m 0s more, by alice: db upgrade")
    ]
    assert check_maintenance([], now=NOW) == [CheckResult("maintenance", Outcome.OK, "maintenance off")]


DAY = TrafficWindow(requests=10_000, errors=10, p95_ms=20.0)


def test_normal_traffic_is_ok() -> None:
    assert check_traffic(TrafficWindow(100, 0, 22.0), DAY) == [
        CheckResult(
            "traffic",
            Outcome.OK,
            "last 5m: 100 requests, 0.0% 5XX, p95 22 ms; last day: 10000 requests, 0.1% 5XX, p95 20 ms",
        )
    ]


def test_a_5xx_rate_far_above_the_days_fails() -> None:
    found = check_traffic(TrafficWindow(100, 20, 22.0), DAY)
    assert [(r.outcome, r.evidence.split(";")[0]) for r in found] == [
        (Outcome.FAIL, "last 5m: 100 requests, 20.0% 5XX, p95 22 ms")
    ]


def test_a_p95_more_than_twice_the_days_warns() -> None:
    found = check_traffic(TrafficWindow(100, 0, 120.0), DAY)
    assert [(r.outcome, r.evidence.split(";")[0]) for r in found] == [
        (Outcome.WARN, "last 5m: 100 requests, 0.0% 5XX, p95 120 ms")
    ]


def test_no_recent_requests_is_ok() -> None:
    found = check_traffic(TrafficWindow(0, 0, None), TrafficWindow(0, 0, None))
    assert found == [
        CheckResult(
            "traffic",
            Outcome.OK,
            "last 5m: 0 requests, 0.0% 5XX, p95 -; last day: 0 requests, 0.0% 5XX, p95 -",
        )
    ]


def test_the_verdict_is_the_worst_outcome() -> None:
    ok, warn, fail = (CheckResult("c", outcome, "") for outcome in Outcome)
    assert (verdict_of([ok]), verdict_of([ok, warn]), verdict_of([warn, fail, ok]), verdict_of([])) == (
        Verdict.HEALTHY,
        Verdict.DEGRADED,
        Verdict.FAILING,
        Verdict.HEALTHY,
    )


def test_a_fleet_file_with_problems_fails_the_config_check() -> None:
    problems = ["fleet.yaml:9:7 services.menu.secrets[0]: unknown secret 'db-pasword'"]
    assert check_config("fleet.yaml", problems, services=0, secrets=0) == [
        CheckResult(
            "config",
            Outcome.FAIL,
            "fleet.yaml: fleet.yaml:9:7 services.menu.secrets[0]: unknown secret 'db-pasword'",
        )
    ]
    assert check_config("fleet.yaml", [], services=6, secrets=2) == [
        CheckResult("config", Outcome.OK, "fleet.yaml valid: 6 services, 2 secrets declared")
    ]


def test_each_missing_required_secret_fails_and_none_needed_is_ok() -> None:
    required = [
        RequiredSecret("orders", "db-password", True, "has a current value in the dev secret store"),
        RequiredSecret("auth", "signing-key", False, "has no AWSCURRENT value in the dev secret store"),
    ]
    assert check_required_secrets(required) == [
        CheckResult(
            "required-secrets",
            Outcome.FAIL,
            "auth: secret signing-key has no AWSCURRENT value in the dev secret store",
        )
    ]
    assert check_required_secrets([]) == [
        CheckResult("required-secrets", Outcome.OK, "no service needs a secret")
    ]


def test_a_version_finding_fails_warns_or_is_ok_and_not_checked_is_said() -> None:
    seen = [
        VersionSeen("menu", False, "AMI ami-1 does not exist"),
        VersionSeen("orders", True, "release #2 of v2 here failed", warn=True),
        VersionSeen("mail", None, "not checked: image nginx:1 is not in ECR"),
        VersionSeen("", True, "about every service"),
    ]
    assert [(r.outcome, r.evidence) for r in check_version("v2", seen)] == [
        (Outcome.FAIL, "menu: AMI ami-1 does not exist"),
        (Outcome.WARN, "orders: release #2 of v2 here failed"),
        (Outcome.OK, "mail: not checked: image nginx:1 is not in ECR"),
        (Outcome.OK, "about every service"),
    ]
    assert verdict_of(check_version("v2", seen[2:])) is Verdict.HEALTHY
