"""``fleetops status``, ``scale``, ``logs`` and ``rollout``: the running fleet, through the API."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from fleetops.cli.app import app
from fleetops.cli.client import ApiClient, connect
from fleetops.cli.logquery import run_log_query
from fleetops.cli.options import EnvSelectOption, FleetFileOption, state_dir_of
from fleetops.cli.output import OutputFormat, OutputOption, as_yaml, console, emit, err_console, plain
from fleetops.cli.progress import poll_until, rollout_summary, say
from fleetops.cli.timefmt import short_time
from fleetops.errors import BadInput, OperationFailed
from fleetops.log_records import format_log_record

WATCH_SECONDS = 2.0
"""How often ``status --watch`` asks for the status again."""


def _connect(file: Path) -> ApiClient:
    return connect(state_dir_of(file))


def with_drift(api: ApiClient, status: dict[str, Any]) -> dict[str, Any]:
    """``status`` with each service's last verified release and whether what runs differs from
    it (``drift``: a direct rollout, a failed rollback, a deployment under way), as Argo CD's
    OutOfSync."""
    verified = api.get("/releases", environment=status["environment"], status="verified", limit=1000)
    last: dict[str, dict[str, Any]] = {}
    for release in verified["releases"]:  # newest first
        last.setdefault(release["service"], release)
    for service in status["services"]:
        release = last.get(service["name"])
        service["last_verified"] = (
            None if release is None else {"number": release["number"], "version": release["version"]}
        )
        service["drift"] = release is not None and service["versions"] != [release["version"]]
    return status


def _verified_cell(service: dict[str, Any]) -> Text:
    release = service.get("last_verified")
    if release is None:
        return plain("-")
    text = f"{release['version']} (#{release['number']})"
    return plain(f"{text} drift", "yellow") if service.get("drift") else plain(text)


def status_tables(status: dict[str, Any]) -> Group:
    """The fleet status as tables: services, instances, then datastores (when it has some)."""
    services = Table(
        "service", "version", "desired", "healthy", "versions", "verified", "rollout", "endpoint",
        title=f"{status['fleet']} ({status['environment']})",
    )  # fmt: skip
    instances = Table("instance", "service", "version", "state", "health", "cpu %", "reason")
    for service in status["services"]:
        healthy = f"{service['healthy']}/{service['desired']}"
        services.add_row(
            plain(service["name"]),
            plain(service["version"]),
            plain(f"{service['desired']} ({service['min']}..{service['max']})"),
            plain(healthy, "green" if service["ready"] else "yellow"),
            plain(", ".join(service["versions"])),
            _verified_cell(service),
            plain(service["rollout"]),
            plain(service["endpoint"]),
        )
        for i in service["instances"]:
            cpu = "" if i["cpu_percent"] is None else f"{i['cpu_percent']:.0f}"
            cells = (i["id"], service["name"], i["version"], i["state"], i["health"], cpu, i["health_reason"])
            instances.add_row(*map(plain, cells))
    if not status.get("datastores"):
        return Group(services, instances)
    stores = Table("datastore", "kind", "health", "port", "connections", "size")
    for store in status["datastores"]:
        size = "" if store["size_bytes"] is None else f"{store['size_bytes'] / 1e6:.1f} MB"
        stores.add_row(
            plain(store["name"]),
            plain(store["kind"]),
            plain("healthy", "green") if store["healthy"] else plain(f"unhealthy: {store['detail']}", "red"),
            plain("" if store["port"] is None else str(store["port"])),
            plain("" if store["connections"] is None else str(store["connections"])),
            plain(size),
        )
    return Group(services, instances, stores)


@app.command("status")
def status(
    file: FleetFileOption = Path("fleet.yaml"),
    env: EnvSelectOption = None,
    watch: Annotated[
        bool,
        typer.Option(
            "--watch", "-w", help="Redraw every 2 s until Ctrl-C (not on a terminal: print each change)."
        ),
    ] = False,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Services, instances, versions and health of the running fleet."""
    with _connect(file) as api:

        def fetch() -> dict[str, Any]:
            return with_drift(api, api.get("/fleet", environment=env))

        current = fetch()
        if not watch or output.document:
            emit(current, output, lambda out: out.print(status_tables(current)))
            return
        try:
            if console.is_terminal:
                with Live(status_tables(current), console=console, refresh_per_second=4) as live:
                    while True:
                        time.sleep(WATCH_SECONDS)
                        live.update(status_tables(fetch()))
            else:
                _print_changes(current, fetch)
        except KeyboardInterrupt:
            pass


def _print_changes(current: dict[str, Any], fetch: Callable[[], dict[str, Any]]) -> None:
    """``status --watch`` where nothing can be redrawn (a pipe, a file, a CI log): the status at
    once, then again (after a line with the time) each time it changed, flushed, until Ctrl-C.
    Drawn live, a pipe would get nothing until the end."""
    console.print(status_tables(current))
    console.file.flush()
    while True:
        time.sleep(WATCH_SECONDS)
        fresh = fetch()
        if fresh != current:
            say("status changed:", OutputFormat.TABLE)
            console.print(status_tables(fresh))
            console.file.flush()
            current = fresh


@app.command("scale")
def scale(
    service: Annotated[str, typer.Argument(help="The service to scale.")],
    desired: Annotated[int, typer.Argument(min=0, help="Desired instance count (within min..max).")],
    file: FleetFileOption = Path("fleet.yaml"),
    env: EnvSelectOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Set a service's desired instance count; instances launch or drain in the background."""
    with _connect(file) as api:
        result = api.post("/fleet/scale", {"service": service, "desired": desired, "environment": env})
    emit(result, output, lambda out: out.print(f"{service}: desired {desired}", markup=False))


@app.command("activities")
def activities(
    service: Annotated[str | None, typer.Argument(help="Only this service.")] = None,
    *,
    file: FleetFileOption = Path("fleet.yaml"),
    env: EnvSelectOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Scaling activities: changes of desired counts by autoscaling or operators, newest first."""
    with _connect(file) as api:
        result = api.get("/fleet/activities", service=service, environment=env)

    def render(out: Console) -> None:
        table = Table("at", "service", "desired", "cause")
        for a in result["activities"]:
            table.add_row(
                *map(plain, (short_time(a["at"]), a["service"], f"{a['before']} -> {a['after']}", a["cause"]))
            )
        out.print(table)

    emit(result, output, render)


# `-f` follows here, as in `kubectl logs -f` and `aws logs tail -f`: the fleet file is --file only.
LogsFileOption = Annotated[
    Path, typer.Option("--file", help="The fleet file; its state lives in .fleetops/ beside it.")
]


@app.command("logs")
def logs(
    service: Annotated[
        str, typer.Argument(help="The service whose logs to show, or `query` to run a Logs Insights query.")
    ],
    query: Annotated[
        str | None,
        typer.Argument(
            help="With `query`: the query, e.g. 'filter level = \"error\" | stats count() by bin(5m)'."
        ),
    ] = None,
    *,
    file: LogsFileOption = Path("fleet.yaml"),
    env: EnvSelectOption = None,
    instance: Annotated[str | None, typer.Option(help="Only this instance.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="How many records.")] = 100,
    filter: Annotated[
        str | None,
        typer.Option(
            "--filter",
            help='CloudWatch filter pattern: terms, "phrases", -term, ?term, { $.status >= 500 }, '
            "[ip, ..., status = 5*], %regex%.",
        ),
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="From this long ago (1h, 30m) or this time (ISO 8601 with a zone).")
    ] = None,
    start: Annotated[str | None, typer.Option(help="From this time (ISO 8601 with a zone).")] = None,
    end: Annotated[str | None, typer.Option(help="Until this time (ISO 8601 with a zone).")] = None,
    services: Annotated[
        str | None, typer.Option(help="With `query`: comma-separated services (default: every one).")
    ] = None,
    platform: Annotated[
        bool,
        typer.Option(
            "--all", help="With `query`: also the load balancer's access log and supervisor events."
        ),
    ] = False,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new records until Ctrl-C.")
    ] = False,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """The last log records of a service (merged across its instances), oldest first; or, as
    `fleetops logs query 'QUERY'`, a CloudWatch Logs Insights query over the fleet's logs."""
    if service == "query":
        if query is None:
            raise BadInput("logs query: give the query, e.g. fleetops logs query 'stats count() by level'")
        with _connect(file) as api:
            run_log_query(
                api,
                query,
                services=services,
                platform=platform,
                since=since,
                start=start,
                end=end,
                environment=env,
                output=output,
            )
        return
    if query is not None or services is not None or platform:
        raise BadInput(
            f"logs {service}: a second argument, --services and --all go with `fleetops logs query`"
        )
    with _connect(file) as api:

        def fetch() -> list[dict[str, Any]]:
            records: list[dict[str, Any]] = api.get(
                "/fleet/logs",
                service=service,
                instance=instance,
                limit=limit,
                filter=filter,
                since=since,
                start=start,
                end=end,
                environment=env,
            )["records"]
            return records

        seen: set[str] = set()
        told = False
        try:
            while True:
                fresh = [r for r in fetch() if _key(r) not in seen]
                seen.update(_key(r) for r in fresh)
                for record in fresh:
                    _print_record(record, output)
                if not follow:
                    return
                if not seen and not told:
                    # A filter nothing matches yet prints nothing: say that it follows (on
                    # stderr, which no script reads as records).
                    err_console.print(f"following {service}'s logs: nothing yet; Ctrl-C stops", markup=False)
                told = True
                time.sleep(1)
        except KeyboardInterrupt:
            pass


def _json_object(text: str, option: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as err:
        raise BadInput(f"{option}: not JSON ({err})") from err
    if not isinstance(value, dict):
        raise BadInput(f'{option}: expected a JSON object like {{"MinHealthyPercentage": 90}}')
    return value


def _key(record: dict[str, Any]) -> str:
    return f"{record.get('timestamp')}|{record.get('instance')}|{record.get('msg')}|{len(record)}"


def _print_record(record: dict[str, Any], output: OutputFormat) -> None:
    if output is OutputFormat.JSON:
        typer.echo(json.dumps(record, default=str))
    elif output is OutputFormat.YAML:
        typer.echo("---\n" + as_yaml(record), nl=False)
    else:
        console.print(Text.assemble((str(record.get("instance", "")), "dim"), " ", format_log_record(record)))


ROLLOUT_VERBS = ("status", "cancel")


@app.command("rollout")
def rollout(
    service: Annotated[str, typer.Argument(help="The service to roll (or: status, cancel).")],
    version: Annotated[str, typer.Argument(help="The version to roll it to (or: the rollout id).")],
    *,
    file: FleetFileOption = Path("fleet.yaml"),
    env: EnvSelectOption = None,
    rollout_id: Annotated[str | None, typer.Option(help="Idempotency key (default: a new id).")] = None,
    preferences: Annotated[
        str | None,
        typer.Option(
            help='Instance refresh Preferences as AWS JSON (seconds), e.g. \'{"MinHealthyPercentage": 90, '
            "\"InstanceWarmup\": 60}'; default: the service's deploy settings."
        ),
    ] = None,
    wait: Annotated[bool, typer.Option("--wait", help="Wait for the end; exit 1 unless Successful.")] = False,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Replace a service's instances with a version (instance refresh semantics, the service's
    deploy settings).

    `fleetops rollout status ID [--wait]` shows a rollout; `fleetops rollout cancel ID` cancels
    one in flight (the instances already replaced stay).
    """
    with _connect(file) as api:
        if service in ROLLOUT_VERBS:
            view = _rollout_verb(api, service, version, env)
        else:
            body: dict[str, Any] = {
                "service": service,
                "version": version,
                "rollout_id": rollout_id,
                "environment": env,
            }
            if preferences is not None:
                body["preferences"] = _json_object(preferences, "--preferences")
            view = api.post("/rollouts", body)
            if wait:
                say(f"started rollout {view['rollout_id']}: {service} -> {version}", output)
        if wait:
            view = _follow_rollout(api, view, output)

    emit(view, output, lambda out: out.print(_rollout_text(view), highlight=False, markup=False))
    if wait and view["status"] != "Successful":
        raise OperationFailed(f"rollout {view['rollout_id']} ended {view['status']}")


def _rollout_verb(api: ApiClient, verb: str, rollout_id: str, env: str | None) -> dict[str, Any]:
    if verb == "cancel":
        cancelled: dict[str, Any] = api.post(
            f"/rollouts/{rollout_id}/cancel" + ("" if env is None else f"?environment={env}")
        )
        return cancelled
    found: dict[str, Any] = api.get(f"/rollouts/{rollout_id}", environment=env)
    return found


def _rollout_text(view: dict[str, Any]) -> str:
    text = f"rollout {view['rollout_id']}: {view['service']} -> " + rollout_summary(view, "", view["version"])
    return text + (f"\n{view['failure']}" if view["failure"] else "")


def _follow_rollout(api: ApiClient, view: dict[str, Any], output: OutputFormat) -> dict[str, Any]:
    rollout_id, environment = view["rollout_id"], view["environment"]
    return poll_until(
        lambda: api.get(f"/rollouts/{rollout_id}", environment=environment),
        lambda current: bool(current["terminal"]),
        output=output,
        lines=lambda current: {"": _rollout_text(current)},
        draw=lambda current: Text(_rollout_text(current)),
        interrupted=(
            f"stopped following; rollout {rollout_id} goes on in the control plane: follow it with "
            f"`fleetops rollout status {rollout_id} --wait`, "
            f"cancel it with `fleetops rollout cancel {rollout_id}`"
        ),
        poll_seconds=0.5,
    )
