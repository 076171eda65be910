"""Target-group health: ALB state transitions, timeouts, matchers, and the probe history."""

import pytest

from fleetops.errors import BadInput
from fleetops.rollout.health import HealthTracker, ProbePolicy, ProbeResult, TargetState

CHECK = ProbePolicy(interval_ms=1000, timeout_ms=500, healthy_threshold=3, unhealthy_threshold=2)
OK = ProbeResult(200, 5)
BAD = ProbeResult(503, 5)


def test_a_new_target_is_healthy_after_one_passing_check() -> None:
    """ALB: "After your target is registered, it must pass one health check to be considered healthy"."""
    health = HealthTracker(CHECK)
    assert health.state is TargetState.INITIAL
    assert health.record(0, OK) is TargetState.HEALTHY


def test_a_healthy_target_turns_unhealthy_after_unhealthy_threshold_consecutive_failures() -> None:
    health = HealthTracker(CHECK)
    health.record(0, OK)
    assert health.record(1000, BAD) is TargetState.HEALTHY
    assert health.record(2000, BAD) is TargetState.UNHEALTHY


def test_a_success_between_failures_resets_the_failure_count() -> None:
    health = HealthTracker(CHECK)
    states = [health.record(t, r) for t, r in enumerate([OK, BAD, OK, BAD, OK])]
    assert states == [TargetState.HEALTHY] * 5


def test_an_unhealthy_target_needs_healthy_threshold_consecutive_successes_to_return() -> None:
    health = HealthTracker(CHECK)
    for t in range(2):
        health.record(t, BAD)
    assert [health.record(t, OK) for t in range(3)] == [
        TargetState.UNHEALTHY,
        TargetState.UNHEALTHY,
        TargetState.HEALTHY,
    ]


def test_an_initial_target_failing_unhealthy_threshold_times_is_unhealthy() -> None:
    health = HealthTracker(CHECK)
    assert health.record(0, ProbeResult(None, 1, "connection refused")) is TargetState.INITIAL
    assert health.record(1000, ProbeResult(None, 1, "connection refused")) is TargetState.UNHEALTHY


def test_a_response_at_or_after_the_timeout_is_a_failure_even_with_200() -> None:
    health = HealthTracker(CHECK)
    health.record(0, ProbeResult(200, 500))
    assert health.history[0].passed is False
    assert health.history[0].reason == "timed out after 500ms"


@pytest.mark.parametrize(
    ("matcher", "code", "passed"),
    [
        ("200", 200, True),
        ("200", 204, False),
        ("200-299", 299, True),
        ("200-299", 300, False),
        ("200,204", 204, True),
        ("200,204", 201, False),
        ("200-204, 302", 302, True),
    ],
)
def test_matcher_accepts_codes_ranges_and_lists(matcher: str, code: int, passed: bool) -> None:
    assert ProbePolicy(interval_ms=1000, timeout_ms=500, matcher=matcher).matches(code) is passed


def test_history_keeps_the_last_n_probes_with_timings_and_reasons() -> None:
    health = HealthTracker(CHECK, history=2)
    health.record(0, OK)
    health.record(1000, ProbeResult(503, 7))
    health.record(2000, ProbeResult(None, 3, "connection refused"))
    assert [p.describe() for p in health.history] == [
        "t=1000ms 503 in 7ms: fail (status 503 not in 200)",
        "t=2000ms - in 3ms: fail (connection refused)",
    ]


def test_invalid_settings_report_every_problem() -> None:
    with pytest.raises(BadInput) as caught:
        ProbePolicy(interval_ms=1000, timeout_ms=1000, healthy_threshold=1, matcher="200-1xx")
    assert caught.value.problems == [
        "health check timeout must be positive and shorter than the interval (1000 ms), got 1000 ms",
        "health check healthy_threshold must be 2-10, got 1",
        "health check matcher '200-1xx': '200-1xx' is not a status code or a range like 200-299",
    ]


def test_matcher_codes_outside_200_499_are_refused() -> None:
    with pytest.raises(BadInput) as caught:
        ProbePolicy(interval_ms=1000, timeout_ms=500, matcher="500")
    assert caught.value.problems == [
        "health check matcher '500': '500' is outside 200-499 or its range is reversed"
    ]


def test_a_probe_on_a_real_clock_is_shown_at_its_time_of_day() -> None:
    health = HealthTracker(CHECK, history=1)
    health.record(1_796_590_292_054, ProbeResult(503, 7))
    assert [p.describe() for p in health.history] == [
        "20:51:32.054Z 503 in 7ms: fail (status 503 not in 200)"
    ]
