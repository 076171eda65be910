"""`fleetops validate` and `fleetops schema`, run as a user runs them (a subprocess)."""

import json
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).parents[2] / "examples" / "restaurant" / "fleet.yaml"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fleetops", *args], capture_output=True, text=True, check=False, cwd=cwd
    )


def test_example_is_valid() -> None:
    result = run("validate", "-f", str(EXAMPLE))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"{EXAMPLE}: valid",
        "  3 environments: dev, stage, prod",
        "  6 services: auth, menu, notifications, payments, orders, gateway",
        "  3 secrets: db-password, payments-api-key, session-signing-key",
        "  3 datastores: orders-db, orders-db-prod, cache",
        "  9 alarms: high-5xx, slow-p99, deployment-failure-critical, state-machine-down, "
        "handler-error-rate, deployments-slow, deployment-errors-high, capacity-warning, orders-cpu-high",
        "  1 composite_alarms: orchestrator-page",
        "  2 notifications: ops-chat, on-call-email",
    ]


def test_problems_go_to_stderr_one_per_line_and_exit_2(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text(
        "environments:\n  dev: {provider: local}\nservices:\n  web:\n    run: {command: x}\n"
        "    depends_on: [api]\n    instances: {desired: 5}\n"
    )
    result = run("validate", cwd=tmp_path)  # -f defaults to ./fleet.yaml
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "error: fleet.yaml: 2 problems",
        "  fleet.yaml:6:18 services.web.depends_on[0]: unknown service 'api' (there are no other services)",
        "  fleet.yaml:7:16 services.web.instances: expected min <= desired <= max, got 1, 5, 1",
    ]


def test_a_single_problem_is_printed_too(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text("")
    result = run("validate", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: fleet.yaml: 1 problem",
        "  fleet.yaml:1:1 (root): the file is empty: expected a fleet (a mapping)",
    ]


def test_brackets_in_values_are_printed_as_written(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text('name: "[bold]x[/]"\nenvironments: {dev: {provider: local}}\nservices: {}\n')
    result = run("validate", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: fleet.yaml: 2 problems",
        "  fleet.yaml:1:7 name: expected a name of letters, digits, '_', '.' and '-', starting with a letter"
        " or digit, got '[bold]x[/]'",
        "  fleet.yaml:3:11 services: expected at least 1 item(s), got 0",
    ]


def test_problems_as_json(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text("environments: {}\nservices: {}\n")
    result = run("validate", "-f", str(fleet), "--output", "json")
    assert result.returncode == 2
    assert json.loads(result.stdout) == {
        "file": str(fleet),
        "valid": False,
        "problems": [
            {
                "file": str(fleet),
                "line": 1,
                "column": 15,
                "path": "environments",
                "message": "expected at least 1 item(s), got 0",
            },
            {
                "file": str(fleet),
                "line": 2,
                "column": 11,
                "path": "services",
                "message": "expected at least 1 item(s), got 0",
            },
        ],
    }


def test_missing_file_is_bad_input(tmp_path: Path) -> None:
    result = run("validate", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == "error: fleet.yaml: no such file (expected a fleet file; pass -f FILE)\n"


def test_schema_is_json_schema_of_the_fleet() -> None:
    result = run("schema")
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["required"] == ["environments", "services"]
    assert schema["additionalProperties"] is False
    assert schema["$defs"]["DeployPolicy"]["properties"]["warmup"]["pattern"] == r"^(\d+(ms|s|m|h|d))+$"


def test_a_file_nested_500_levels_is_one_problem_and_exit_2(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text("name: " + "[" * 500 + "]" * 500 + "\n")
    result = run("validate", "-f", str(fleet))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"error: {fleet}: 1 problem",
        f"  {fleet}:1:70 (root): the file nests deeper than 64 levels of mappings and lists (the limit)",
    ]
