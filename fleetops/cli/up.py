"""``fleetops up`` and ``fleetops down``: the local sandbox's control plane in the background.

``up`` starts ``fleetops server --fleet FILE --env ENV --port 0`` as a background process with
its state in ``.fleetops/`` next to the fleet file (``server.log`` holds its output), then waits
until every service has its desired count of healthy instances at its version, and prints the
load-balancer endpoints. A server already running for that folder is reused, so ``up`` twice is
the same as once. When a service does not come up in time, ``up`` exits 1 naming it, why (its
instances' health), and its last log lines; the server keeps running (``fleetops down`` stops it).

``down`` stops that server with SIGTERM; the server stops every instance and HAProxy before it
exits. Should it not exit (or have crashed), the processes named in ``.fleetops/pids/`` are
killed, so nothing ``up`` started is left running.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from fleetops.cli.client import ApiClient, ServerAddress
from fleetops.cli.main import app
from fleetops.cli.output import OutputFormat, OutputOption, emit, err_console
from fleetops.errors import BadInput, FleetopsError, OperationFailed
from fleetops.processes import pid_alive
from fleetops.server.settings import TOKEN_FILE, read_server_file

FleetFileOption = Annotated[
    Path, typer.Option("--file", "-f", help="The fleet file; its state lives in .fleetops/ beside it.")
]
EnvOption = Annotated[str, typer.Option("--env", help="The environment to run.")]
SERVER_START_TIMEOUT_S = 30.0


def state_dir_of(fleet_file: Path) -> Path:
    """Where ``up`` keeps the state of ``fleet_file``: ``.fleetops/`` in its folder."""
    return fleet_file.resolve().parent / ".fleetops"


def running_server(state_dir: Path) -> dict[str, Any] | None:
    """``server.json`` of the server running for ``state_dir``, if its process is alive."""
    info = read_server_file(state_dir)
    if info is None or not pid_alive(info.get("pid")):
        return None
    return info


def client_for(state_dir: Path, info: dict[str, Any], *, timeout: float = 30.0) -> ApiClient:
    """An API client of the server described by ``info``, with the admin token of ``state_dir``."""
    token = (state_dir / TOKEN_FILE).read_text().strip()
    return ApiClient(ServerAddress(url=str(info["url"]).rstrip("/"), token=token), timeout=timeout)


@app.command("up")
def up(
    file: FleetFileOption = Path("fleet.yaml"),
    env: EnvOption = "dev",
    version: Annotated[str, typer.Option(help="Version services start at the first time.")] = "v1",
    timeout: Annotated[float, typer.Option(help="Seconds to wait for every service to be healthy.")] = 90.0,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Start the control plane in the background and bring the fleet to its desired state."""
    from fleetops.spec.loader import load_fleet

    load_fleet(file)  # a bad fleet file is reported here, before anything starts
    state_dir = state_dir_of(file)
    info = running_server(state_dir)
    if info is not None:
        if info.get("fleet_file") != str(file.resolve()) or info.get("environment") != env:
            raise BadInput(
                f"a fleetops server already runs in {state_dir} for {info.get('fleet_file')} "
                f"({info.get('environment')}); run `fleetops down` first"
            )
    else:
        info = _start_server(file.resolve(), env, version, state_dir)
    with client_for(state_dir, info) as api:
        status = _wait_ready(api, state_dir, timeout)

    def render(console: Console) -> None:
        table = Table("service", "version", "healthy", "endpoint", title=f"{status['fleet']} ({env}) is up")
        for service in status["services"]:
            table.add_row(
                service["name"],
                service["version"],
                f"{service['healthy']}/{service['desired']}",
                service["endpoint"],
            )
        console.print(table)
        console.print(
            f"control plane: {info['url']} (state in {state_dir}); `fleetops down` stops everything"
        )

    emit({"server": info, **status}, output, render)


@app.command("down")
def down(
    file: FleetFileOption = Path("fleet.yaml"),
    timeout: Annotated[float, typer.Option(help="Seconds to wait for a clean stop before killing.")] = 60.0,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Stop the control plane ``up`` started and every process it started."""
    from fleetops.providers.local.process import kill_leftovers

    state_dir = state_dir_of(file)
    info = running_server(state_dir)
    stopped: int | None = None
    if info is not None:
        stopped = int(info["pid"])
        _terminate(stopped, timeout)
    killed = kill_leftovers(state_dir / "pids")
    result = {"server_pid": stopped, "killed_leftovers": killed}

    def render(console: Console) -> None:
        if stopped is None and not killed:
            console.print(f"nothing was running for {state_dir}")
            return
        if stopped is not None:
            console.print(f"stopped the control plane (pid {stopped}) and its fleet")
        if killed:
            console.print(f"killed leftover processes: {', '.join(map(str, killed))}")

    emit(result, output, render)


def _start_server(fleet_file: Path, env: str, version: str, state_dir: Path) -> dict[str, Any]:
    state_dir.mkdir(parents=True, exist_ok=True)
    log_path = state_dir / "server.log"
    command = [sys.executable, "-m", "fleetops", "server", "--port", "0", "--state-dir", str(state_dir)]
    command += ["--fleet", str(fleet_file), "--env", env, "--version", version]
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command,
            cwd=fleet_file.parent,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # outlives this command and the terminal's Ctrl-C
        )
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while True:
        info = read_server_file(state_dir)
        if info is not None and info.get("pid") == process.pid:
            return info
        if process.poll() is not None or time.monotonic() > deadline:
            raise FleetopsError(f"the control plane did not start:\n{_tail(log_path, 15)}")
        time.sleep(0.05)


def _wait_ready(api: ApiClient, state_dir: Path, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    status: dict[str, Any] | None = None
    pid = (read_server_file(state_dir) or {}).get("pid")
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            raise FleetopsError(f"the control plane stopped:\n{_tail(state_dir / 'server.log', 15)}")
        try:
            status = api.get("/fleet")
        except FleetopsError:
            status = None  # still starting: the API answers once every instance is launched
        if status is not None and status["ready"]:
            return status
        time.sleep(0.25)
    if status is None:
        raise OperationFailed(
            f"the control plane did not answer in {timeout:.0f}s:\n{_tail(state_dir / 'server.log', 15)}"
        )
    raise OperationFailed(_not_ready(api, status, timeout))


def _not_ready(api: ApiClient, status: dict[str, Any], timeout: float) -> str:
    lines = [f"not every service came up within {timeout:.0f}s:"]
    for service in status["services"]:
        if service["ready"]:
            continue
        lines.append(
            f"{service['name']}: {service['healthy']}/{service['desired']} healthy at {service['version']}"
        )
        for instance in service["instances"]:
            reason = f" ({instance['health_reason']})" if instance["health_reason"] else ""
            lines.append(
                f"  {instance['id']} {instance['version']} {instance['state']} {instance['health']}{reason}"
            )
        records = api.get("/fleet/logs", service=service["name"], limit=5)["records"]
        if records:
            lines.append("  last log lines:")
            lines += [f"    {_log_line(record)}" for record in records]
    return "\n".join(lines)


def _log_line(record: dict[str, Any]) -> str:
    from fleetops.control.fleet_port import format_log_record

    return f"{record.get('instance', '')} {format_log_record(record)}".strip()


def _terminate(pid: int, timeout: float) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while pid_alive(pid):
        if time.monotonic() > deadline:
            err_console.print(f"the control plane (pid {pid}) did not stop in {timeout:.0f}s; killing it")
            os.kill(pid, signal.SIGKILL)
            break
        time.sleep(0.1)


def _tail(path: Path, lines: int) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"
