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
