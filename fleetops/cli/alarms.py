"""``fleetops alarms``: the fleet's alarm states, like ``aws cloudwatch describe-alarms``;
``alarms history NAME`` (describe-alarm-history) and ``alarms disable-actions|enable-actions NAME``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.padding import Padding
from rich.text import Text

from fleetops.cli.app import app
from fleetops.cli.client import connect
from fleetops.cli.options import EnvSelectOption, FleetFileOption, state_dir_of
from fleetops.cli.output import OutputFormat, OutputOption, emit
from fleetops.cli.timefmt import short_time

_STATE_STYLE = {"OK": "green", "ALARM": "red", "INSUFFICIENT_DATA": "yellow"}
alarms_app = typer.Typer(
    help="Alarms: states (with no command), history, and switching their actions.",
    invoke_without_command=True,
)
app.add_typer(alarms_app, name="alarms")
ServiceOption = Annotated[
    str | None,
    typer.Option("--service", "-s", help="Only this service's (a template alarm has one per service)."),
]
NameArgument = Annotated[str, typer.Argument(help="The alarm's (or composite alarm's) name.")]


@alarms_app.callback()
def alarms(
    ctx: typer.Context,
    *,
    service: ServiceOption = None,
    state: Annotated[
        str | None, typer.Option("--state", help="Only those in this state: OK, ALARM, INSUFFICIENT_DATA.")
    ] = None,
    env: EnvSelectOption = None,
    file: FleetFileOption = Path("fleet.yaml"),
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """List alarms evaluated now, per service watching them, then composite alarms: state,
    reason, and when it changed."""
    if ctx.invoked_subcommand is not None:
        return
    with connect(state_dir_of(file)) as api:
        query = {"service": service, "state": state, "environment": env}
        found: list[dict[str, Any]] = api.get("/alarms", **query)["alarms"]

    def render(console: Console) -> None:
        if not found:
            console.print("no alarms", highlight=False)
            return
        # Reasons are long: each goes on its own line under its alarm, so no width cramps a column.
        name_w = max(len(a["name"]) for a in found)
        service_w = max(len(a["service"] or "-") for a in found)
        for a in found:
            style = _STATE_STYLE.get(a["state"], "")
            held = f"  actions held: {a['actions_suppressed_by']}" if a.get("actions_suppressed_by") else ""
            console.print(
                f"{a['name']:<{name_w}}  {a['service'] or '-':<{service_w}}  [{style}]{a['state']:<17}[/]"
                f"  since {short_time(a['updated'])}{held}",
                highlight=False,
            )
            console.print(Padding(Text(a["reason"], style="dim"), (0, 0, 0, 2)), highlight=False)

    emit(found, output, render)


@alarms_app.command("history")
def history(
    name: NameArgument,
    *,
    service: ServiceOption = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=1000, help="At most this many.")] = 50,
    env: EnvSelectOption = None,
    file: FleetFileOption = Path("fleet.yaml"),
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """The alarm's state changes and actions, newest first, each with its reason."""
    with connect(state_dir_of(file)) as api:
        found: dict[str, Any] = api.get(
            f"/alarms/{name}/history", service=service, limit=limit, environment=env
        )

    def render(console: Console) -> None:
        items = found["history"]
        if not items:
            console.print(f"no history for {name}", highlight=False)
            return
        for item in items:
            where = f" {item['service']}" if item["service"] else ""
            console.print(
                f"{short_time(item['at'])}{where}  {item['kind']:<11}  {item['summary']}", highlight=False
            )
            if item["reason"]:
                console.print(Padding(Text(item["reason"], style="dim"), (0, 0, 0, 2)), highlight=False)

    emit(found, output, render)


def _switch(
    name: str, *, service: str | None, env: str | None, file: Path, output: OutputFormat, verb: str
) -> None:
    with connect(state_dir_of(file)) as api:
        params = {"service": service, "environment": env}
        done: dict[str, Any] = api.request("POST", f"/alarms/{name}/{verb}", params=params)

    def render(console: Console) -> None:
        state = "enabled" if done["actions_enabled"] else "disabled"
        services = ", ".join(s or "-" for s in done["services"])
        console.print(f"actions of {done['alarm']} ({services}) {state}", highlight=False)

    emit(done, output, render)


@alarms_app.command("disable-actions")
def disable_actions(
    name: NameArgument,
    *,
    service: ServiceOption = None,
    env: EnvSelectOption = None,
    file: FleetFileOption = Path("fleet.yaml"),
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Stop the alarm's actions (notifications, runbooks); its state still changes and is recorded."""
    _switch(name, service=service, env=env, file=file, output=output, verb="disable-actions")


@alarms_app.command("enable-actions")
def enable_actions(
    name: NameArgument,
    *,
    service: ServiceOption = None,
    env: EnvSelectOption = None,
    file: FleetFileOption = Path("fleet.yaml"),
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Run the alarm's actions again on its next state changes."""
    _switch(name, service=service, env=env, file=file, output=output, verb="enable-actions")
