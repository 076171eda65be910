"""``fleetops incident open|update|resolve|list|show``: incidents with a severity, a status and a
timeline, each change announced to the fleet file's channels by severity (SEV1/SEV2 to the
channels taking critical/error, a pager; SEV3/SEV4 to those taking warning/info, chat).

A change whose notification could not be delivered is recorded all the same; the command says
so and exits 1, as ``fleetops notify`` does. An unknown id, or an update or resolution of a
resolved incident, exits 2 and changes nothing.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console

from fleetops.cli.app import app
from fleetops.cli.client import connect
from fleetops.cli.options import EnvSelectOption
from fleetops.cli.output import NoHeadersOption, OutputFormat, OutputOption, emit, emit_rows, err_console
from fleetops.cli.timefmt import short_time
from fleetops.ops.incident_terms import Severity, Status

incident_app = typer.Typer(
    name="incident",
    help="Incidents: open one with a severity, post updates, resolve it; each change is announced.",
    no_args_is_help=True,
)
app.add_typer(incident_app)

IdArgument = Annotated[int, typer.Argument(min=1, help="The incident's id (fleetops incident list).")]
EtaOption = Annotated[
    str | None, typer.Option("--eta", help="When a fix is expected, from now: 30m, 2h (at most 30d).")
]


def _took(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


def _changed(incident: dict[str, Any], output: OutputFormat, said: str) -> None:
    """Print the change and its deliveries; exit 1 when one failed (the change is recorded)."""

    def render(console: Console) -> None:
        console.print(said, highlight=False, markup=False)
        if not incident["deliveries"]:
            console.print(
                f"  no channel takes {incident['event']} at {incident['severity']}", highlight=False
            )
        for delivery in incident["deliveries"]:
            error = f": {delivery['error']}" if delivery["error"] else ""
            console.print(
                f"  {delivery['channel']}: {delivery['status']}{error}", highlight=False, markup=False
            )

    emit(incident, output, render)
    failed = [d["channel"] for d in incident["deliveries"] if d["status"] == "failed"]
    if failed:
        err_console.print(
            f"incident {incident['id']} is recorded, but its {incident['event']} notification was not "
            f"delivered to {', '.join(failed)}",
            highlight=False,
            markup=False,
        )
        raise typer.Exit(1)


@incident_app.command("open")
def open_incident(
    *,
    severity: Annotated[
        Severity, typer.Option("--severity", "-s", case_sensitive=False, help="SEV1 (worst) to SEV4.")
    ],
    title: Annotated[str, typer.Option("--title", "-t", help="What is wrong, in one line.")],
    description: Annotated[str | None, typer.Option("--description", "-d", help="More detail.")] = None,
    eta: EtaOption = None,
    env: EnvSelectOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Open an incident (status investigating) and announce incident.opened."""
    body = {
        "severity": severity.value,
        "title": title,
        "description": description,
        "eta": eta,
        "environment": env,
    }
    with connect() as api:
        opened: dict[str, Any] = api.post(
            "/incidents",
            {key: value for key, value in body.items() if value is not None},
            flags={"environment": "--env"},
        )
    _changed(
        opened,
        output,
        f"incident {opened['id']} opened: {opened['severity']} {opened['title']} "
        f"({opened['environment']}, {opened['status']})",
    )


@incident_app.command("update")
def update_incident(
    incident_id: IdArgument,
    *,
    message: Annotated[str, typer.Option("--message", "-m", help="What is known now, what is done.")],
    status: Annotated[
        Status | None,
        typer.Option("--status", case_sensitive=False, help="investigating, identified or monitoring."),
    ] = None,
    eta: EtaOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Post an update (a status, a message) to an open incident and announce incident.updated."""
    body = {"message": message, "status": None if status is None else status.value, "eta": eta}
    with connect() as api:
        updated: dict[str, Any] = api.post(
            f"/incidents/{incident_id}/updates",
            {key: value for key, value in body.items() if value is not None},
        )
    _changed(updated, output, f"incident {incident_id} updated: {updated['status']}")


@incident_app.command("resolve")
def resolve_incident(
    incident_id: IdArgument,
    *,
    summary: Annotated[str, typer.Option("--summary", help="What happened and what fixed it.")],
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Resolve an incident and announce incident.resolved (a pager's alert is resolved too)."""
    with connect() as api:
        resolved: dict[str, Any] = api.post(f"/incidents/{incident_id}/resolve", {"summary": summary})
    _changed(
        resolved,
        output,
        f"incident {incident_id} resolved after {_took(resolved['time_to_resolve_seconds'])}",
    )


@incident_app.command("list")
def list_incidents(
    *,
    include_resolved: Annotated[bool, typer.Option("--all", "-a", help="Resolved incidents too.")] = False,
    env: Annotated[str | None, typer.Option("--env", "-e", help="Only this environment's.")] = None,
    output: OutputOption = OutputFormat.TABLE,
    no_headers: NoHeadersOption = False,
) -> None:
    """The open incidents, newest first (--all: resolved ones too)."""
    with connect() as api:
        found: list[dict[str, Any]] = api.get("/incidents", all=include_resolved or None, environment=env)[
            "incidents"
        ]
    emit_rows(
        found,
        output,
        empty="no open incident" if not include_resolved else "no incident",
        columns=("id", "environment", "severity", "status", "title", "opened", "by", "took"),
        row=lambda i: (
            i["id"],
            i["environment"],
            i["severity"],
            i["status"],
            i["title"],
            short_time(i["opened_at"]),
            i["opened_by"],
            _took(i["time_to_resolve_seconds"]),
        ),
        headers=not no_headers,
    )


@incident_app.command("show")
def show_incident(incident_id: IdArgument, output: OutputOption = OutputFormat.TABLE) -> None:
    """One incident and its timeline."""
    with connect() as api:
        incident: dict[str, Any] = api.get(f"/incidents/{incident_id}")

    def render(console: Console) -> None:
        lines = [
            f"incident {incident['id']}: {incident['severity']} {incident['title']}",
            f"  environment  {incident['environment']}",
            f"  status       {incident['status']}",
            f"  opened       {short_time(incident['opened_at'])} by {incident['opened_by']}",
        ]
        if incident["eta"] is not None and incident["resolved_at"] is None:
            lines.append(f"  eta          {short_time(incident['eta'])}")
        if incident["resolved_at"] is not None:
            lines.append(
                f"  resolved     {short_time(incident['resolved_at'])} by {incident['resolved_by']} "
                f"(after {_took(incident['time_to_resolve_seconds'])})"
            )
        if incident["description"]:
            lines.append(f"  description  {incident['description']}")
        lines.append("timeline:")
        lines.extend(
            f"  {short_time(e['at'])}  {e['status']:<13}  {e['author']}: {e['message']}"
            for e in incident["timeline"]
        )
        for line in lines:
            console.print(line, highlight=False, markup=False)

    emit(incident, output, render)
