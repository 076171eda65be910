"""``fleetops up`` and ``fleetops down``: the local sandbox's control plane in the background.

``up`` starts ``fleetops server --fleet FILE --env ENV --port 0`` as a background process with
its state in ``.fleetops/`` next to the fleet file (``server.log`` holds its output), then waits
until every service has its desired count of healthy instances at its version, and prints the
load-balancer endpoints. A server already running for that fleet file is reused: ``up`` twice is
the same as once, and ``up --env stage`` while it runs dev adds stage to it (``POST
/environments``), so one control plane runs both and ``fleetops promote dev stage`` works; a
server that crashed is started again with every environment it ran. When
a service does not come up in time, ``up`` exits 1 naming it, why (its instances' health), and
its last log lines, and stops what it started (the server, or the environment it added to a
running one); so does Ctrl-C. ``up --version`` on an environment already running at another
version is refused: ``fleetops deploy`` changes versions.

``down`` stops that server with SIGTERM; the server stops every environment's instances and
HAProxy before it exits. Should it not exit (or have crashed), the processes named in the pid
files under ``.fleetops/`` are killed, so nothing ``up`` started is left running. ``down --env
stage`` stops only stage (the whole server when it is the only environment running).
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from fleetops.cli import discovery
from fleetops.cli.app import app
from fleetops.cli.client import ApiClient, ServerAddress
from fleetops.cli.options import EnvOption, FleetFileOption, state_dir_of
from fleetops.cli.output import OutputFormat, OutputOption, emit, err_console, plain
from fleetops.errors import BadInput, FleetopsError, Interrupted, OperationFailed, Refused
from fleetops.log_records import format_log_record
from fleetops.private_files import private_file, private_folder
from fleetops.processes import pid_alive
from fleetops.server.settings import TOKEN_FILE, environment_state_dir, pid_dirs, read_server_file
from fleetops.startup import collector_paused

SERVER_START_TIMEOUT_S = 30.0


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
    version: Annotated[
        str | None, typer.Option(help="Version services start at the first time (default v1).")
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for every service to be healthy.")] = 90.0,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Start the control plane in the background and bring the fleet to its desired state.

    When the fleet does not come up (or on Ctrl-C), what this command started is stopped again.
    """
    with collector_paused():  # the fleet models: ~0.05 s of CPU less to import
        from fleetops.spec.loader import load_fleet
        from fleetops.spec.models import AwsSettings

    file = discovery.fleet_file(file)
    fleet = load_fleet(file)  # a bad fleet file is reported here, before anything starts
    settings = fleet.environments.get(env)
    if isinstance(settings, AwsSettings):
        # Checked here, with the same credentials chain as the control plane, so every difference
        # is printed (exit 2) before a control plane starts for it.
        from fleetops.providers.aws.preflight import preflight
        from fleetops.providers.aws.session import AwsClients

        preflight(fleet, env, AwsClients(settings.region, settings.profile))
    state_dir = state_dir_of(file)
    info = running_server(state_dir)
    others: list[str] = []
    started = Started(server=info is None, environment=env)
    if info is not None:
        if info.get("fleet_file") != str(file.resolve()):
            raise BadInput(
                f"a fleetops server already runs in {state_dir} for {info.get('fleet_file')} "
                f"({info.get('environment')}); run `fleetops down` first"
            )
        with client_for(state_dir, info, timeout=max(timeout, 30.0)) as api:
            if env in api.get("/environments")["running"]:
                started = Started(server=False, environment=None)
                if version is not None:
                    _refuse_other_version(api, env, version)
            # Started by the server (or already running there): its processes are launched.
            try:
                api.post("/environments", {"environment": env, "version": version or "v1"})
            except BaseException as err:
                raise _undone(err, started, state_dir, info) from err
    else:
        # A server that crashed comes back with every environment it ran, not only this one.
        crashed = read_server_file(state_dir) or {}
        again = crashed.get("environments") if crashed.get("fleet_file") == str(file.resolve()) else None
        others = [name for name in again or [] if name != env and name in fleet.environments]
        # The others are added one by one once it runs: one that cannot start again (its port
        # taken meanwhile, a broken override) is reported and does not keep the rest down.
        info = _start_server(file.resolve(), [env], version or "v1", state_dir)
    not_restarted: dict[str, str] = {}
    try:
        with client_for(state_dir, info, timeout=max(timeout, 30.0)) as api:
            status = _wait_ready(api, state_dir, timeout, env)
            for other in others:
                try:
                    api.post("/environments", {"environment": other, "version": version or "v1"})
                    _wait_ready(api, state_dir, timeout, other)
                except FleetopsError as err:
                    not_restarted[other] = err.message
            running = api.get("/environments")["running"]
    except BaseException as err:
        raise _undone(err, started, state_dir, info) from err

    dashboard = f"{str(info['url']).rstrip('/')}/ui"

    def render(console: Console) -> None:
        table = Table("service", "version", "healthy", "endpoint", title=f"{status['fleet']} ({env}) is up")
        for service in status["services"]:
            table.add_row(
                service["name"],
                plain(service["version"]),
                f"{service['healthy']}/{service['desired']}",
                service["endpoint"],
            )
        console.print(table)
        console.print(
            f"control plane: {info['url']} (state in {state_dir}), running {', '.join(running)}; "
            "`fleetops down` stops everything",
            markup=False,
            soft_wrap=True,
        )
        console.print(
            f"dashboard: {dashboard} (sign in with the token in {state_dir / TOKEN_FILE})",
            markup=False,
            soft_wrap=True,
            highlight=False,
        )
        console.print("for other shells:", markup=False)
        for line in export_lines(str(info["url"]), state_dir, file.resolve()):
            console.print(f"  {line}", markup=False, soft_wrap=True, highlight=False)

    emit(
        {
            "server": info,
            "dashboard": dashboard,
            "running": running,
            "not_restarted": not_restarted,
            **status,
        },
        output,
        render,
    )
    if not_restarted:
        raise OperationFailed(
            "; ".join(
                f"environment {name} ran before the control plane stopped and did not start again: "
                f"{why.splitlines()[0]} (once fixed: fleetops up --env {name})"
                for name, why in not_restarted.items()
            )
        )


def export_lines(url: str, state_dir: Path, fleet_file: Path) -> list[str]:
    """The shell lines that point other shells' fleetops (and the aws cli, boto3) at this
    control plane. The token is read from its file, never printed."""
    return [
        f"export FLEETOPS_URL={url} FLEETOPS_TOKEN=$(cat {shlex.quote(str(state_dir / TOKEN_FILE))})",
        f'eval "$(fleetops aws-env --file {shlex.quote(str(fleet_file))})"',
    ]


def _refuse_other_version(api: ApiClient, env: str, version: str) -> None:
    running = api.get("/fleet", environment=env, datastores=False)
    others = sorted({s["name"] for s in running["services"] if s["version"] != version})
    if others:
        at = ", ".join(f"{s['name']} {s['version']}" for s in running["services"])
        raise Refused(
            f"{env} already runs ({at}): `up --version` only sets the version a fleet starts at; "
            f"`fleetops deploy {env} --version {version} --wait` changes it"
        )


@dataclass(frozen=True)
class Started:
    """What one ``up`` started: the control plane itself, or one environment on a running one."""

    server: bool
    environment: str | None


def _undone(
    err: BaseException, started: Started, state_dir: Path, info: dict[str, Any] | None
) -> BaseException:
    """``err`` with what was stopped again (or what still runs and how to stop it) said after it."""
    if isinstance(err, SystemExit):
        return err
    from fleetops.providers.local.process import kill_leftovers  # the provider loads on use

    if started.server and info is not None:
        _terminate(int(info["pid"]), 60.0)
        for folder in pid_dirs(state_dir):
            kill_leftovers(folder)
        done = "stopped the control plane and every process this `up` started"
    elif started.environment is not None and info is not None:
        try:
            with client_for(state_dir, info, timeout=60.0) as api:
                if started.environment in api.get("/environments")["running"]:
                    api.delete(f"/environments/{started.environment}")
            kill_leftovers(environment_state_dir(state_dir, started.environment) / "pids")
            done = f"stopped {started.environment} again; the environments running before keep running"
        except FleetopsError as stop_err:
            done = (
                f"{started.environment} may still run ({stop_err.message}): "
                f"`fleetops down --env {started.environment}` stops it"
            )
    else:
        done = "this `up` started nothing: what ran before keeps running (`fleetops down` stops it)"
    logs = f"its logs are in {state_dir}"
    if isinstance(err, KeyboardInterrupt):
        return Interrupted(f"interrupted: {done}; {logs}")
    message = err.message if isinstance(err, FleetopsError) else f"{type(err).__name__}: {err}"
    failure = type(err)(message) if isinstance(err, FleetopsError) else FleetopsError(message)
    failure.message = f"{message}\n{done}; {logs}"
    return failure


@app.command("down")
def down(
    file: FleetFileOption = Path("fleet.yaml"),
    env: Annotated[
        str | None,
        typer.Option("--env", "-e", help="Stop only this environment (default: the control plane and all)."),
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for a clean stop before killing.")] = 60.0,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Stop the control plane ``up`` started and every process it started (or one environment)."""
    from fleetops.providers.local.process import kill_leftovers

    state_dir = state_dir_of(file)
    info = running_server(state_dir)
    if env is not None and info is not None:
        with client_for(state_dir, info, timeout=timeout) as api:
            running = api.get("/environments")["running"]
            if env not in running:
                emit(
                    {"server_pid": None, "killed_leftovers": [], "stopped_environments": []},
                    output,
                    lambda c: c.print(
                        f"environment {env} is not running (running: {', '.join(running)})", markup=False
                    ),
                )
                return
            if running != [env]:
                api.delete(f"/environments/{env}")
                killed = kill_leftovers(environment_state_dir(state_dir, env) / "pids")
                emit(
                    {"server_pid": None, "killed_leftovers": killed, "stopped_environments": [env]},
                    output,
                    lambda c: c.print(f"stopped environment {env} and its processes", markup=False),
                )
                return
    stopped: int | None = None
    if info is not None:
        stopped = int(info["pid"])
        _terminate(stopped, timeout)
    killed = [pid for folder in pid_dirs(state_dir) for pid in kill_leftovers(folder)]
    result = {"server_pid": stopped, "killed_leftovers": killed, "stopped_environments": None}

    def render(console: Console) -> None:
        if stopped is None and not killed:
            console.print(f"nothing was running for {state_dir}", markup=False)
            return
        if stopped is not None:
            console.print(f"stopped the control plane (pid {stopped}) and its fleet")
        if killed:
            console.print(f"killed leftover processes: {', '.join(map(str, killed))}")

    emit(result, output, render)


def _start_server(fleet_file: Path, envs: list[str], version: str, state_dir: Path) -> dict[str, Any]:
    private_folder(state_dir)
    log_path = private_file(state_dir / "server.log")
    command = [sys.executable, "-m", "fleetops", "server", "--port", "0", "--state-dir", str(state_dir)]
    command += ["--fleet", str(fleet_file), "--version", version]
    command += [arg for env in envs for arg in ("--env", env)]
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
            raise FleetopsError(f"the control plane did not start: {_server_failure(log_path)}")
        time.sleep(0.05)


def _first_releases_verified(api: ApiClient, environment: str, status: dict[str, Any]) -> bool:
    """Whether the control plane has verified the first release of each service it brought up
    (it does once the service is ready; a status read does not), so ``up`` returns with them."""
    pinned = api.get("/releases", environment=environment, execution_id="up", status="pinned", limit=1000)
    current = {(s["name"], s["release_number"]) for s in status["services"]}
    return not any((r["service"], r["number"]) in current for r in pinned["releases"])


def _wait_ready(api: ApiClient, state_dir: Path, timeout: float, environment: str) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    status: dict[str, Any] | None = None
    pid = (read_server_file(state_dir) or {}).get("pid")
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            raise FleetopsError(f"the control plane stopped: {_server_failure(state_dir / 'server.log')}")
        try:
            # Services only while they come up (a datastore's health check is a new connection
            # to it, every 0.25 s); the whole status, datastores too, once they are ready.
            status = api.get("/fleet", environment=environment, datastores=False)
        except FleetopsError:
            status = None  # still starting: the API answers once every instance is launched
        if status is not None and status["ready"] and _first_releases_verified(api, environment, status):
            whole: dict[str, Any] = api.get("/fleet", environment=environment)
            if whole["ready"]:
                return whole
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
        records = api.get("/fleet/logs", service=service["name"], limit=5, environment=status["environment"])[
            "records"
        ]
        if records:
            lines.append("  last log lines:")
            lines += [f"    {_log_line(record)}" for record in records]
    return "\n".join(lines)


def _log_line(record: dict[str, Any]) -> str:
    return f"{record.get('instance', '')} {format_log_record(record)}".strip()


def _terminate(pid: int, timeout: float) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while pid_alive(pid):
        if time.monotonic() > deadline:
            err_console.print(
                f"the control plane (pid {pid}) did not stop in {timeout:.0f}s; killing it", markup=False
            )
            os.kill(pid, signal.SIGKILL)
            break
        time.sleep(0.1)


_RAISED = re.compile(r"^fleetops\.errors\.\w+: (?P<message>.+)$")


def _server_failure(log_path: Path) -> str:
    """Why the server exited, from its log: the fleetops error it raised (not its traceback),
    else the log's last lines."""
    lines = _tail(log_path, 200).splitlines()
    for line in reversed(lines):
        raised = _RAISED.match(line)
        if raised is not None:
            return raised["message"]
    return "\n" + "\n".join(lines[-15:])


def _tail(path: Path, lines: int) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"
