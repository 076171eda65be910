"""``fleetops drill SCENARIO``: a disaster-recovery drill, started and followed, with its report;
``fleetops drill report [ID]`` and ``fleetops drill list``.

``--wait`` follows the drill runbook step by step, then prints its report (RTO and RPO against
the fleet file's ``drills:`` targets) and exits 0 when every target was met, 1 when one was
missed or the drill failed, 2 for bad input (no targets, no verified backup), 3 when the
environment's lock is held. datastore-loss destroys data and environment-failover stops the
environment: ``--yes``, or a yes at the prompt (datastore-loss ``--scratch``, in a scratch copy of the
environment, asks nothing).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from fleetops.cli.app import app
from fleetops.cli.client import ApiClient, locate_server
from fleetops.cli.deploy import WaitOption, start_or_follow
from fleetops.cli.options import EnvSelectOption, FleetFileOption, state_dir_of
from fleetops.cli.output import NoHeadersOption, OutputFormat, OutputOption, emit, emit_rows, plain
from fleetops.cli.progress import say, step_lines, step_table
from fleetops.cli.timefmt import short_time
from fleetops.errors import BadInput, FleetopsError, OperationFailed

drill_app = typer.Typer(
    name="drill",
    help="Disaster-recovery drills: cause an outage on purpose, recover, measure RTO and RPO.",
    no_args_is_help=True,
)
app.add_typer(drill_app)

# The start checks the backup's sha256 (datastore-loss): a large file takes a while.
DRILL_TIMEOUT_S = 600.0
RESTART_WAIT_S = 300.0
"""How long ``--wait`` looks for a control plane that does not answer (control-plane-crash)."""


def _connect(file: Path) -> ApiClient:
    return ApiClient(locate_server(state_dir_of(file)), timeout=DRILL_TIMEOUT_S)


def _figure(report: dict[str, Any], name: str) -> str:
    figure = report.get(name)
    if not figure:
        return ""
    value = "-" if figure["seconds"] is None else f"{figure['seconds']:.1f}s"
    return f"{value} / {figure['target']}"


def _print_report(report: dict[str, Any], out: Console) -> None:
    def say_line(text: str) -> None:
        out.print(text, highlight=False, markup=False)

    where = report.get("datastore") or report.get("service") or ", ".join(report.get("services") or [])
    if report.get("standby"):
        say_line(f"drill {report['drill']}: {report.get('scenario')} of {report.get('environment')}")
    else:
        say_line(
            f"drill {report['drill']}: {report.get('scenario')} of {where} in {report.get('environment')}"
        )
    outcome = report.get("outcome")
    if outcome == "running":
        say_line(f"  still running (follow it with: fleetops executions describe {report['drill']} --wait)")
        return
    if report.get("outage_at"):
        say_line(f"  outage at      {report['outage_at']}")
    if report.get("healthy_at") and not report.get("killed_pid"):  # a crash: "resumed at" below
        say_line(f"  healthy at     {report['healthy_at']}")
    for name in ("rto", "rpo"):
        figure = report.get(name)
        if figure:
            value = "not measured" if figure["seconds"] is None else f"{figure['seconds']:.1f} s"
            verdict = "met" if figure["met"] else "MISSED"
            source = f" (from the {figure['from']})" if figure.get("from") else ""
            say_line(f"  {name.upper()}            {value}, target {figure['target']}: {verdict}{source}")
    if report.get("scratch"):
        untouched = f"{report.get('environment')}'s data untouched"
        say_line(f"  in             the scratch copy {report['scratch']} (discarded; {untouched})")
    if report.get("backup_id"):
        say_line(f"  restored       backup {report['backup_id']} of {report.get('backup_taken_at')}")
        say_line(f"                 by {report.get('restore_execution')}")
    if report.get("newest_stamp"):
        say_line(f"  newest stamp   {report['newest_stamp']} (the heartbeat the restore left)")
    if report.get("killed"):
        say_line(f"  killed         {', '.join(report['killed'])}")
    if report.get("killed_pid"):
        _print_crash(report, say_line)
    if report.get("standby"):
        _print_failover(report, say_line)
    client = report.get("client")
    if client:
        say_line(f"  steady client  {client['sent']} requests, {client['failed']} failed")
    elif report.get("client_lost"):
        say_line("  steady client  lost (the control plane restarted during the drill)")
    if outcome == "failed":
        say_line(f"  FAILED: {report.get('failure')}")
    say_line(f"  {report.get('summary') or outcome}")


def _print_crash(report: dict[str, Any], say_line: Callable[[str], None]) -> None:
    deployment = report.get("deployment") or {}
    down = report.get("control_plane_down_seconds")
    say_line(f"  killed         the control plane (pid {report['killed_pid']}) with SIGKILL")
    if deployment.get("interrupted_rollouts"):
        say_line(
            f"                 in the middle of {', '.join(deployment['interrupted_rollouts'])}'s rollout"
        )
    if report.get("control_plane_back_at"):
        after = "" if down is None else f" ({down:.1f} s after the kill)"
        say_line(f"  back at        {report['control_plane_back_at']}{after}")
    restart = report.get("restart") or {}
    if restart.get("up_exit_code") not in (None, 0):
        say_line(f"  restart        fleetops up exited {restart['up_exit_code']}: {restart.get('up_error')}")
    if deployment.get("resumed_at"):
        say_line(f"  resumed at     {deployment['resumed_at']} ({deployment['execution']})")
    if deployment.get("ended_at"):
        say_line(f"  deployment     {deployment.get('status')} at {deployment['ended_at']}")
    for service, versions in sorted((report.get("versions") or {}).items()):
        say_line(f"  {service:<14} {len(versions)} instance(s), all on {', '.join(sorted(set(versions)))}")


def _print_failover(report: dict[str, Any], say_line: Callable[[str], None]) -> None:
    entry = ", ".join(f"{s} 127.0.0.1:{p}" for s, p in sorted((report.get("entry_points") or {}).items()))
    if report.get("outcome") == "failed":
        if report.get("primary"):
            say_line(f"  primary        {report.get('environment')} {report['primary']}")
        elif report.get("primary_stopped"):
            say_line(
                f"  primary        {report.get('environment')} stopped, {report['standby']} not healthy: "
                f"fleetops down --env {report['standby']} && fleetops up --env {report.get('environment')}"
            )
        return
    say_line(f"  stopped        {report.get('environment')} (the region lost)")
    say_line(f"  standby        {report['standby']} now serves the entry point ({entry})")
    releases = ", ".join(f"{r['service']} {r['version']}" for r in report.get("releases") or [])
    say_line(f"  releases       {releases}")
    for name, backup in sorted((report.get("backups") or {}).items()):
        say_line(f"  restored       {name} from backup {backup['backup_id']} of {backup['created_at']}")
    back = f"fleetops down --env {report['standby']} && fleetops up --env {report.get('environment')}"
    say_line(f"  fail back      {back}")


def _confirm(scenario: str, target: str, env: str | None, yes: bool) -> None:
    if yes:
        return
    what = f"{scenario} destroys the data of {target} in {env or 'the running environment'}"
    if not sys.stdin.isatty():
        raise BadInput(f"{what}: confirm with --yes")
    if not typer.confirm(f"{what} (it is then restored from its latest verified backup). Go on?"):
        raise BadInput(f"{what}: not confirmed, nothing was done")


class _Reconnecting:
    """GETs that outlive a control plane's restart (control-plane-crash kills it on purpose):
    while the server does not answer, look for it again in ``server.json`` (a restarted one
    listens on another port) until it does, for ``RESTART_WAIT_S`` at most."""

    def __init__(self, file: Path, api: ApiClient, output: OutputFormat) -> None:
        self.file = file
        self.api = api
        self.output = output

    def get(self, path: str) -> Any:
        deadline = time.monotonic() + RESTART_WAIT_S
        said = False
        while True:
            try:
                return self.api.get(path)
            except FleetopsError as err:
                if type(err) is not FleetopsError or time.monotonic() > deadline:
                    raise  # an answer (4xx), or no control plane came back
                if not said:
                    say(
                        "the control plane does not answer (the drill killed it): waiting for it", self.output
                    )
                    said = True
            time.sleep(0.5)
            self.api.close()
            try:
                self.api = _connect(self.file)
            except FleetopsError:
                continue  # no server.json at this moment


def _run(body: dict[str, Any], file: Path, wait: bool, output: OutputFormat) -> None:
    with _connect(file) as first:
        api = _Reconnecting(file, first, output)
        started: dict[str, Any] = first.post("/drills", body)
        if body.get("dry_run"):
            emit(started, output, lambda out: _print_plan(started, out))
            return
        name = started["execution"]
        hint = f"its report: fleetops drill report {name}"
        progress = start_or_follow(
            api, started, wait, output, what="drill", hint=hint, lines=step_lines, draw=step_table
        )
        if progress is None:
            return
        report: dict[str, Any] = api.get(f"/drills/{name}")
        api.api.close()
    emit(report, output, lambda out: _print_report(report, out))
    if progress["status"] != "SUCCEEDED":
        why = report.get("summary") or progress.get("cause")
        raise OperationFailed(f"drill {name} {progress['status']}: {progress.get('error')}: {why}")


def _print_plan(plan: dict[str, Any], out: Console) -> None:
    out.print(
        f"drill {plan['scenario']} in {plan['environment']} (dry run: nothing was changed); "
        f"targets RTO {plan['objectives']['rto']}, RPO {plan['objectives']['rpo']}",
        highlight=False,
        markup=False,
    )
    for number, step in enumerate(plan["steps"], start=1):
        out.print(f"  {number}. {step}", highlight=False, markup=False)


DryRunOption = Annotated[bool, typer.Option("--dry-run", help="Print the plan; change nothing.")]


@drill_app.command("datastore-loss")
def datastore_loss(  # noqa: PLR0917 (typer: every option is a parameter)
    datastore: Annotated[
        str | None,
        typer.Option("--datastore", "-d", help="The datastore lost (default: the only one in use)."),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Destroy its data without asking.")] = False,
    scratch: Annotated[
        bool,
        typer.Option(
            "--scratch", help="In a scratch copy of the environment (its own data untouched; no question)."
        ),
    ] = False,
    env: EnvSelectOption = None,
    wait: WaitOption = False,
    dry_run: DryRunOption = False,
    file: FleetFileOption = Path("fleet.yaml"),
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Destroy a datastore's data on the running environment (or, with --scratch, in a scratch
    copy of it holding a copy of its data), restore its latest verified backup through the
    restore runbook, and measure RTO (outage to services healthy) and RPO (data lost, from the
    heartbeat stamps) against the fleet file's drills targets."""
    if not dry_run and not scratch:
        _confirm("datastore-loss", datastore or "its datastore", env, yes)
    body = {"scenario": "datastore-loss", "datastore": datastore, "environment": env, "confirm": True}
    if scratch:
        body |= {"scratch": True, "confirm": False}
    _run({**body, "dry_run": dry_run}, file, wait, output)


@drill_app.command("instance-failure")
def instance_failure(  # noqa: PLR0917 (typer: every option is a parameter)
    service: Annotated[str, typer.Option("--service", "-s", help="The service whose instances are killed.")],
    count: Annotated[int, typer.Option("--count", help="How many of its instances are killed.")] = 1,
    env: EnvSelectOption = None,
    wait: WaitOption = False,
    dry_run: DryRunOption = False,
    file: FleetFileOption = Path("fleet.yaml"),
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """SIGKILL instances of a service and measure the time until it is healthy again (RTO)
    and the requests that failed meanwhile, against the fleet file's drills targets."""
    body = {"scenario": "instance-failure", "service": service, "count": count, "environment": env}
    _run({**body, "dry_run": dry_run}, file, wait, output)


@drill_app.command("control-plane-crash")
def control_plane_crash(  # noqa: PLR0917 (typer: every option is a parameter)
    version: Annotated[str, typer.Option("--version", help="The version the drill's deployment rolls out.")],
    service: Annotated[
        list[str] | None,
        typer.Option("--service", "-s", help="A service to deploy (repeat; default: all it changes)."),
    ] = None,
    env: EnvSelectOption = None,
    wait: WaitOption = False,
    dry_run: DryRunOption = False,
    file: FleetFileOption = Path("fleet.yaml"),
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Deploy VERSION, SIGKILL the control plane in the middle of a rollout, restart it
    (`fleetops up`, by the drill's watchdog), prove the deployment resumes and ends with every
    instance on its release, and measure the time to recover (RTO) against the drills targets."""
    body = {
        "scenario": "control-plane-crash",
        "version": version,
        "services": service or None,
        "environment": env,
    }
    _run({**body, "dry_run": dry_run}, file, wait, output)


@drill_app.command("environment-failover")
def environment_failover(  # noqa: PLR0917 (typer: every option is a parameter)
    standby: Annotated[
        str | None,
        typer.Option("--standby", help="The standby brought up (default: the only one of the environment)."),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Stop the environment without asking.")] = False,
    env: EnvSelectOption = None,
    wait: WaitOption = False,
    dry_run: DryRunOption = False,
    file: FleetFileOption = Path("fleet.yaml"),
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Lose the environment at once (seed 001's region failure: its instances, load balancers
    and datastores stopped), bring its standby (`standby_for` in the fleet file) up from its
    verified releases and latest verified backups on the same pinned ports (the entry point),
    and measure RTO (outage to the standby answering there) and RPO (from the heartbeat stamps)
    against the drills targets. The standby keeps serving afterwards."""
    if not dry_run and not yes:
        what = (
            f"environment-failover stops {env or 'the running environment'} and brings "
            f"{standby or 'its standby'} up in its place"
        )
        if not sys.stdin.isatty():
            raise BadInput(f"{what}: confirm with --yes")
        if not typer.confirm(f"{what}. Go on?"):
            raise BadInput(f"{what}: not confirmed, nothing was done")
    body = {
        "scenario": "environment-failover",
        "standby": standby,
        "environment": env,
        "confirm": True,
    }
    _run({**body, "dry_run": dry_run}, file, wait, output)


@drill_app.command("report")
def report(
    drill: Annotated[str | None, typer.Argument(help="The drill's id (default: the newest).")] = None,
    env: EnvSelectOption = None,
    file: FleetFileOption = Path("fleet.yaml"),
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """A drill's report: RTO, RPO, targets, the steady client's failed requests."""
    with _connect(file) as api:
        if drill is None:
            found = api.get("/drills", environment=env, limit=1)["drills"]
            if not found:
                raise BadInput("no drill has run yet (start one with `fleetops drill datastore-loss`)")
            drill = str(found[0]["drill"])
        got: dict[str, Any] = api.get(f"/drills/{drill}")
    emit(got, output, lambda out: _print_report(got, out))


@drill_app.command("list")
def list_drills(
    env: EnvSelectOption = None,
    file: FleetFileOption = Path("fleet.yaml"),
    output: OutputOption = OutputFormat.TABLE,
    no_headers: NoHeadersOption = False,
) -> None:
    """The drills, newest first, with their outcome and figures."""
    with _connect(file) as api:
        drills: list[dict[str, Any]] = api.get("/drills", environment=env)["drills"]
    emit_rows(
        drills,
        output,
        empty="no drills",
        columns=("id", "scenario", "env", "started", "outcome", "rto / target", "rpo / target"),
        row=lambda d: (
            d["drill"],
            d.get("scenario") or "",
            d.get("environment") or "",
            short_time(d["started_at"]),
            plain(str(d.get("outcome")), "green" if d.get("outcome") == "met" else "red"),
            _figure(d, "rto"),
            _figure(d, "rpo"),
        ),
        headers=not no_headers,
    )
