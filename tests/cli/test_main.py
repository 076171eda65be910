"""The entry point: version, help, and the mapping of errors to exit codes."""

import json
import subprocess
import sys

from fleetops import __version__


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fleetops", *args], capture_output=True, text=True, check=False
    )


def test_version_prints_package_version() -> None:
    result = run("version")
    assert result.returncode == 0
    assert result.stdout == f"{__version__}\n"


def test_version_as_json() -> None:
    result = run("version", "--output", "json")
    assert result.returncode == 0
    assert json.loads(result.stdout) == {"version": __version__}


def test_unknown_command_is_bad_input() -> None:
    result = run("no-such-command")
    assert result.returncode == 2
    assert "No such command 'no-such-command'" in result.stderr


def test_loading_the_commands_leaves_the_heavy_layers_unloaded() -> None:
    # Every CLI call (and every `run_cli` of the tests) pays for what the command modules import
    # at the top: the control plane, the store and the engine load on use, not at start-up.
    code = (
        "import importlib, json, sys\n"
        "from fleetops.cli.commands import COMMANDS\n"
        "for entry in COMMANDS:\n"
        "    for module in entry.modules:\n"
        "        importlib.import_module(module)\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    loaded = {name.split(".")[0] for name in json.loads(result.stdout)}
    assert loaded & {"sqlalchemy", "fastapi", "duckdb", "boto3", "psycopg", "uvicorn"} == set()
