"""``/api/v1/health`` latency of a real server, idle and while runaway executions run, in one run.

    .venv/bin/python bench/runaway.py [--requests 200]

Three phases on one ``fleetops server`` (SQLite store in a temp dir), each sending ``--requests``
sequential ``GET /api/v1/health`` and timing each: idle (the baseline); while four Pass -> Choice
loops with no way out run at once (each ends, as on AWS, when its history reaches 25,000 events;
only requests answered while one still ran are counted); while a Map over 100,000 items runs.
Prints p50/p99 per phase and the ratio to the idle phase. Before the engine yielded between
transitions, the first loop made every request time out (the server never answered again).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from fleetops.testing.server import running_server
from fleetops.testing.sfn import ROLE_ARN, sfn_client

LOOP: dict[str, Any] = {
    "StartAt": "Spin",
    "States": {
        "Spin": {"Type": "Pass", "Next": "Again"},
        "Again": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.never", "IsPresent": True, "Next": "Done"}],
            "Default": "Spin",
        },
        "Done": {"Type": "Succeed"},
    },
}
MAP: dict[str, Any] = {
    "QueryLanguage": "JSONata",
    "StartAt": "Each",
    "States": {
        "Each": {
            "Type": "Map",
            "Items": "{% [1..100000] %}",
            "ItemProcessor": {"StartAt": "Item", "States": {"Item": {"Type": "Pass", "End": True}}},
            "End": True,
        }
    },
}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def health_latencies(url: str, count: int, *, while_running: Any = None) -> list[float]:
    """Seconds per ``GET /health``; with ``while_running``, only those answered while it is true."""
    latencies = []
    with httpx.Client(timeout=60) as client:
        for _ in range(count):
            began = time.perf_counter()
            client.get(f"{url}/api/v1/health").raise_for_status()
            took = time.perf_counter() - began
            if while_running is not None and not while_running():
                break
            latencies.append(took)
    return latencies


def report(name: str, latencies: list[float], idle: list[float] | None) -> None:
    p50, p99 = statistics.median(latencies) * 1000, percentile(latencies, 0.99) * 1000
    line = f"{name:<34} n={len(latencies):<4} p50 {p50:7.1f} ms  p99 {p99:7.1f} ms"
    if idle is not None:
        line += (
            f"  ratio to idle: p50 {p50 / (statistics.median(idle) * 1000):5.1f}x"
            f"  p99 {p99 / (percentile(idle, 0.99) * 1000):5.1f}x"
        )
    print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, running_server(Path(tmp)) as server:
        sfn = sfn_client(server.url, server.admin_token)
        idle = health_latencies(server.url, args.requests)
        report("idle", idle, None)

        loop = sfn.create_state_machine(name="loop", definition=json.dumps(LOOP), roleArn=ROLE_ARN)
        loops = [
            sfn.start_execution(stateMachineArn=loop["stateMachineArn"])["executionArn"] for _ in range(4)
        ]

        def any_loop_running() -> bool:
            return any(sfn.describe_execution(executionArn=arn)["status"] == "RUNNING" for arn in loops)

        report(
            "4 runaway Pass->Choice loops",
            health_latencies(server.url, args.requests, while_running=any_loop_running),
            idle,
        )
        statuses = {sfn.describe_execution(executionArn=arn)["status"] for arn in loops}
        print(f"  (the loops were still {', '.join(sorted(statuses))} after the last counted request)")

        mapped = sfn.create_state_machine(name="map", definition=json.dumps(MAP), roleArn=ROLE_ARN)
        map_arn = sfn.start_execution(stateMachineArn=mapped["stateMachineArn"])["executionArn"]

        def map_running() -> bool:
            return sfn.describe_execution(executionArn=map_arn)["status"] == "RUNNING"

        report(
            "Map over 100,000 items",
            health_latencies(server.url, args.requests, while_running=map_running),
            idle,
        )
        ended = sfn.describe_execution(executionArn=map_arn)
        for arn in loops:
            sfn.stop_execution(executionArn=arn)
        sfn.stop_execution(executionArn=map_arn)
        print(f"  (the Map: {ended['status']} {ended.get('error', '')} {ended.get('cause', '')})")


if __name__ == "__main__":
    main()
