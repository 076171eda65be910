"""``fleetops logs`` and ``fleetops logs query`` end to end: a real fleet's instance and load
balancer logs, read through the server."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fleetops.testing.fleet_files import write_fleet
from fleetops.testing.server import run_cli
from fleetops.testing.waiting import wait_until

pytestmark = [pytest.mark.haproxy, pytest.mark.slow]
PATH = "/no-such-page-for-the-log-test"


@pytest.fixture(scope="module")
def fleet_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """menu, running, after five requests for PATH (404s) through its load balancer."""
    folder = tmp_path_factory.mktemp("logs") / "shop"
    write_fleet(folder, {"menu": {}})
    try:
        up = run_cli(["up", "-o", "json"], cwd=folder, timeout=120)
        assert up.returncode == 0, up.stderr
        status = json.loads(_cli(folder, "status", "-o", "json").stdout)
        endpoint = status["services"][0]["endpoint"]
        for _ in range(5):
            assert httpx.get(endpoint + PATH, timeout=10).status_code == 404
        yield folder
    finally:
        run_cli(["down"], cwd=folder, timeout=60)


def _cli(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(list(args), cwd=folder, timeout=60)


def _query(folder: Path, query: str, *args: str) -> dict[str, object]:
    done = _cli(folder, "logs", "query", query, "-o", "json", *args)
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_a_query_counts_the_requests_in_the_instances_logs(fleet_dir: Path) -> None:
    query = f'filter path = "{PATH}" | stats count() as n by @log, status'

    def counted() -> object:
        return _query(fleet_dir, query)["results"]

    wait_until(lambda: counted() != [], timeout=10, what="the requests in the instance log")
    assert counted() == [
        [
            {"field": "@log", "value": "/aws/ec2/test-dev-menu"},
            {"field": "status", "value": "404"},
            {"field": "n", "value": "5"},
        ]
    ]


def test_all_adds_the_load_balancers_access_log(fleet_dir: Path) -> None:
    query = f'filter path = "{PATH}" | stats count() as n by @log | sort @log'
    result = _query(fleet_dir, query, "--all", "--since", "1h")
    assert result["results"] == [
        [{"field": "@log", "value": "/aws/ec2/test-dev-menu"}, {"field": "n", "value": "5"}],
        [{"field": "@log", "value": "/fleetops/dev/load-balancer"}, {"field": "n", "value": "5"}],
    ]


def test_a_table_shows_the_rows_and_the_counts(fleet_dir: Path) -> None:
    done = _cli(fleet_dir, "logs", "query", f'filter path = "{PATH}" | stats count() as n by status')
    assert done.returncode == 0, done.stderr
    assert "404" in done.stdout
    assert "1 rows; 5 of " in done.stdout


def test_a_bad_query_names_the_column(fleet_dir: Path) -> None:
    done = _cli(fleet_dir, "logs", "query", "fields path | stats")
    assert done.returncode == 2
    assert "query: column 20: expected a field, a value or a function call" in done.stderr


def test_logs_since_takes_a_duration_or_a_time(fleet_dir: Path) -> None:
    pattern = f'{{ $.path = "{PATH}" }}'
    recent = _cli(fleet_dir, "logs", "menu", "--filter", pattern, "--since", "1h", "-o", "json")
    assert recent.returncode == 0, recent.stderr
    assert [json.loads(line)["status"] for line in recent.stdout.splitlines()] == [404] * 5
    later = _cli(
        fleet_dir, "logs", "menu", "--filter", pattern, "--since", "2999-01-01T00:00:00Z", "-o", "json"
    )
    assert (later.returncode, later.stdout) == (0, "")
