"""A real ``fleetops server`` process for tests of the CLI and of anything that talks HTTP to it.

    with running_server(tmp_path) as server:      # tmp_path/.fleetops is its state dir
        httpx.get(server.url + "/api/v1/health")
        run_cli(["token", "list"], cwd=tmp_path)  # finds it through .fleetops/server.json

It is started on a free port and stopped with SIGINT (a clean exit) when the block ends.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from fleetops.server.settings import read_server_file

# The terminal's width too: a CLI run by a test prints as into a pipe (whole lines) unless the
# test sets COLUMNS itself, whatever terminal the suite was started from.
_ISOLATING = ("FLEETOPS_URL", "FLEETOPS_TOKEN", "FLEETOPS_DATABASE_URL", "COLUMNS", "LINES")


@dataclass(frozen=True)
class RunningServer:
    """A server process, its URL, its state dir and its admin token."""

    process: subprocess.Popen[bytes]
    url: str
    state_dir: Path
    admin_token: str


def cli_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a fleetops subprocess: this one without FLEETOPS_* settings, plus ``extra``."""
    env = {key: value for key, value in os.environ.items() if key not in _ISOLATING}
    env.update(extra or {})
    return env


def run_cli(
    args: Sequence[str], *, cwd: Path, env: Mapping[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run ``fleetops ARGS`` in ``cwd`` (so it finds ``cwd/.fleetops``) and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "fleetops", *args],
        cwd=cwd,
        env=cli_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@contextmanager
def running_server(
    workdir: Path, *args: str, env: Mapping[str, str] | None = None, timeout: float = 30
) -> Iterator[RunningServer]:
    """Start ``fleetops server --port 0`` in ``workdir`` (state in ``workdir/.fleetops``); stop it after."""
    state_dir = workdir / ".fleetops"
    log = (workdir / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "fleetops", "server", "--port", "0", *args],
        cwd=workdir,
        env=cli_env(env),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + timeout
        info = read_server_file(state_dir)
        while info is None or info.get("pid") != process.pid:
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                raise RuntimeError(
                    f"fleetops server did not start (exit code {process.poll()}):\n"
                    + (workdir / "server.log").read_text(errors="replace")
                )
            time.sleep(0.05)
            info = read_server_file(state_dir)
        token = (state_dir / "token").read_text().strip()
        yield RunningServer(process=process, url=str(info["url"]), state_dir=state_dir, admin_token=token)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()
