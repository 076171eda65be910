"""`fleetops plan ENV`: the plan from the file, for people and as JSON; bad names exit 2."""

import json
import subprocess
import sys
from pathlib import Path

import yaml

from fleetops.testing.server import run_cli

EXAMPLE = Path(__file__).parents[2] / "examples" / "restaurant" / "fleet.yaml"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fleetops", *args, "-f", str(EXAMPLE)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_plan_for_people() -> None:
    result = run("plan", "dev", "--version", "v3-bad", "--services", "orders")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:3] == [
        "Plan: deploy v3-bad to dev (local)",
        "  not in this plan: auth, gateway, menu, notifications, payments",
        "",
    ]
    assert "    version_env: FAULT_FAIL_HEALTH_AFTER=5s" in lines
    assert (
        "    batch 1: replace 1 (launch 1 before stopping old) -> 1/2 (50%); checkpoint 50%: pause 3s"
        in lines
    )
    assert lines[-1] == "Estimated duration: 26s"


def test_plan_as_json() -> None:
    result = run("plan", "prod", "--version", "v2", "--output", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["approval_required"] is True
    assert data["promote_from"] == "stage"
    assert data["waves"] == [["auth", "menu", "notifications"], ["payments"], ["orders"], ["gateway"]]
    orders = next(s for s in data["services"] if s["name"] == "orders")
    assert [b["replace"] for b in orders["batches"]] == [2, 2]
    assert orders["batches"][0]["pause"] == {"seconds": 600.0, "text": "10m"}


def test_unknown_environment_exits_2_with_known_names() -> None:
    result = run("plan", "qa")
    assert result.returncode == 2
    assert result.stderr == "error: unknown environment 'qa' (known: dev, stage, prod)\n"


def test_unknown_service_exits_2_with_known_names() -> None:
    result = run("plan", "dev", "--services", "orders,kitchen")
    assert result.returncode == 2
    assert result.stderr == (
        "error: unknown service 'kitchen' (known: auth, gateway, menu, notifications, orders, payments)\n"
    )


def test_brackets_in_the_file_and_arguments_are_printed_as_written(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text(
        "environments: {dev: {provider: local}}\n"
        "services:\n  web:\n    run: {command: 'web --tag [red]x[/] {version}'}\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "fleetops", "plan", "dev", "--version", "[b]v2", "-f", str(fleet)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Plan: deploy [b]v2 to dev (local)"
    assert lines[5] == "    command: web --tag [red]x[/] [b]v2"


def test_services_without_a_name_is_bad_input() -> None:
    result = run("plan", "dev", "--services", " , ")
    assert result.returncode == 2
    assert result.stderr == "error: --services: expected service names separated by commas, got ' , '\n"


def test_bad_input_as_json_is_an_error_object_on_stdout() -> None:
    result = run("plan", "dev", "--services", "orders,kitchen", "--output", "json")
    assert (result.returncode, result.stderr) == (2, "")
    message = "unknown service 'kitchen' (known: auth, gateway, menu, notifications, orders, payments)"
    assert json.loads(result.stdout) == {"error": message, "exit_code": 2, "problems": [{"message": message}]}


def test_any_error_under_o_json_or_yaml_is_an_object_on_stdout(tmp_path: Path) -> None:
    as_json = run_cli(["releases", "-o", "json"], cwd=tmp_path)
    as_yaml = run_cli(["releases", "--output=yaml"], cwd=tmp_path)
    assert (as_json.returncode, as_json.stderr, as_yaml.returncode, as_yaml.stderr) == (1, "", 1, "")
    error = json.loads(as_json.stdout)
    assert error["exit_code"] == 1 and error["error"].startswith("no fleetops server found: ")
    assert yaml.safe_load(as_yaml.stdout) == error
