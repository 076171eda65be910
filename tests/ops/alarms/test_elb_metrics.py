"""ALB metrics of one HAProxy access-log record."""

from __future__ import annotations

from typing import Any

from fleetops.ops.alarms.elb_metrics import request_metrics, timestamp_ms, written_at


def record(**changes: Any) -> dict[str, Any]:
    base = {
        "timestamp": "2026-11-22T12:00:01.234Z",
        "service": "menu",
        "instance": "menu-1",
        "status": 200,
        "response_time_ms": 12,
        "total_time_ms": 13,
        "termination_state": "--",
    }
    return base | changes


def test_a_request_answered_by_an_instance() -> None:
    assert request_metrics(record()) == [
        ("RequestCount", 1.0),
        ("TargetResponseTime", 0.012),
        ("HTTPCode_Target_2XX_Count", 1.0),
    ]


def test_a_5xx_from_the_instance_is_a_target_5xx() -> None:
    assert request_metrics(record(status=500, response_time_ms=3)) == [
        ("RequestCount", 1.0),
        ("TargetResponseTime", 0.003),
        ("HTTPCode_Target_5XX_Count", 1.0),
    ]


def test_no_server_is_an_elb_503_and_no_request_count() -> None:
    # ALB's RequestCount counts only requests "where the load balancer node was able to choose a target"
    assert request_metrics(record(instance="<NOSRV>", status=503, response_time_ms=-1)) == [
        ("HTTPCode_ELB_5XX_Count", 1.0),
        ("HTTPCode_ELB_503_Count", 1.0),
    ]


def test_a_server_timeout_is_an_elb_504_of_a_counted_request() -> None:
    assert request_metrics(record(status=504, response_time_ms=-1, termination_state="sH")) == [
        ("RequestCount", 1.0),
        ("HTTPCode_ELB_5XX_Count", 1.0),
        ("HTTPCode_ELB_504_Count", 1.0),
    ]


def test_a_client_gone_before_any_answer_counts_only_as_a_request() -> None:
    assert request_metrics(record(status=-1, response_time_ms=-1, termination_state="CD")) == [
        ("RequestCount", 1.0)
    ]


def test_timestamps_are_epoch_milliseconds() -> None:
    assert timestamp_ms("2026-11-22T12:00:01.234Z") == 1795348801234
    assert timestamp_ms("2026-11-22T12:01:00.000Z") == 1795348860000


def test_a_request_is_written_when_it_ends() -> None:
    assert written_at(record(total_time_ms=1500)) == 1795348802734
    assert written_at(record(total_time_ms=-1)) == 1795348801234
    assert written_at({"msg": "not a request"}) is None
