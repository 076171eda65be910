"""``fleetops maintenance on|off|status|schedule|schedules|cancel``, ``fleetops block|unblock``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from fleetops.cli.app import app
from fleetops.cli.client import connect
from fleetops.cli.output import NoHeadersOption, OutputFormat, OutputOption, emit, emit_rows
from fleetops.cli.timefmt import short_time

maintenance_app = typer.Typer(
    name="maintenance",
    help="Maintenance windows: deployments are refused until they end (by themselves).",
    no_args_is_help=True,
)
app.add_typer(maintenance_app)

EnvOption = Annotated[
    str | None, typer.Option("--env", "-e", help="One environment; default: every environment.")
]


def _where(environment: str | None) -> str:
    return "every environment" if environment is None else environment


@maintenance_app.command("on")
def on(
    env: EnvOption = None,
    duration: Annotated[str, typer.Option("--for", help="How long: 30m, 2h… (at most 7d).")] = "1h",
    reason: Annotated[str, typer.Option(help="Why deployments are stopped.")] = "maintenance",
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Start a maintenance window now; it ends by itself after --for."""
    with connect() as api:
        window: dict[str, Any] = api.post(
            "/maintenance",
            {"environment": env, "duration": duration, "reason": reason},
            flags={"duration": "--for", "environment": "--env"},
        )
    emit(
        window,
        output,
        lambda console: console.print(
            f"maintenance on for {_where(window['environment'])} until "
            f"{short_time(window['ends_at'])} (reason: {window['reason']})",
            highlight=False,
            markup=False,
        ),
    )


@maintenance_app.command("off")
def off(env: EnvOption = None, output: OutputOption = OutputFormat.TABLE) -> None:
    """End the maintenance window early."""
    with connect() as api:
        result: dict[str, Any] = api.request("DELETE", "/maintenance", params={"environment": env})
    ended = result["ended"]
    text = (
        f"maintenance off for {_where(env)}"
        if ended is not None
        else f"maintenance was not on for {_where(env)}"
    )
    emit(result, output, lambda console: console.print(text, highlight=False, markup=False))


@maintenance_app.command("status")
def status(
    env: EnvOption = None, output: OutputOption = OutputFormat.TABLE, no_headers: NoHeadersOption = False
) -> None:
    """Open maintenance windows (with --env: those that stop deployments to it)."""
    with connect() as api:
        windows: list[dict[str, Any]] = api.get("/maintenance", environment=env)["windows"]

    emit_rows(
        windows,
        output,
        empty=f"no maintenance{'' if env is None else f' for {env}'}",
        columns=("env", "reason", "by", "since", "until"),
        row=lambda w: (
            _where(w["environment"]),
            w["reason"],
            w["started_by"],
            short_time(w["starts_at"]),
            short_time(w["ends_at"]),
        ),
        headers=not no_headers,
    )


ServicesArgument = Annotated[list[str], typer.Argument(help="Service names.")]


@app.command("block")
def block(
    services: ServicesArgument,
    env: EnvOption = None,
    reason: Annotated[str, typer.Option(help="Why their deployments are stopped.")] = "blocked",
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Refuse deployments of SERVICE... until they are unblocked."""
    with connect() as api:
        blocks: list[dict[str, Any]] = api.post(
            "/block", {"services": services, "environment": env, "reason": reason}
        )["blocks"]
    emit(
        blocks,
        output,
        lambda console: console.print(
            "\n".join(
                f"blocked {b['service']} in {_where(b['environment'])} (by {b['blocked_by']}: {b['reason']})"
                for b in blocks
            ),
            highlight=False,
            markup=False,
        ),
    )


@app.command("unblock")
def unblock(
    services: ServicesArgument, env: EnvOption = None, output: OutputOption = OutputFormat.TABLE
) -> None:
    """Allow deployments of SERVICE... again."""
    with connect() as api:
        removed: list[dict[str, Any]] = api.post("/unblock", {"services": services, "environment": env})[
            "removed"
        ]
    named = {b["service"] for b in removed}
    lines = [
        f"unblocked {s} in {_where(env)}" if s in named else f"{s} was not blocked in {_where(env)}"
        for s in dict.fromkeys(services)
    ]
    emit(removed, output, lambda console: console.print("\n".join(lines), highlight=False, markup=False))


@app.command("blocks")
def blocks(
    env: EnvOption = None, output: OutputOption = OutputFormat.TABLE, no_headers: NoHeadersOption = False
) -> None:
    """Blocked services: who blocked them, why and since when (with --env: those blocked there)."""
    with connect() as api:
        found: list[dict[str, Any]] = api.get("/blocks", environment=env)["blocks"]

    emit_rows(
        found,
        output,
        empty=f"no service is blocked{'' if env is None else f' in {env}'}",
        columns=("service", "env", "by", "reason", "since"),
        row=lambda b: (
            b["service"],
            _where(b["environment"]),
            b["blocked_by"],
            b["reason"],
            short_time(b.get("blocked_at")),
        ),
        headers=not no_headers,
    )


@maintenance_app.command("schedule")
def schedule(
    cron: Annotated[str, typer.Option("--cron", help='When, in UTC: five cron fields, e.g. "0 2 * * SUN".')],
    duration: Annotated[
        str, typer.Option("--for", help="How long each window lasts: 30m, 2h… (at most 7d).")
    ],
    env: EnvOption = None,
    reason: Annotated[str, typer.Option(help="Why deployments are stopped.")] = "scheduled maintenance",
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Schedule recurring maintenance: the control plane opens a window at each time --cron names,
    for --for, and announces maintenance.started and maintenance.ended."""
    with connect() as api:
        added: dict[str, Any] = api.post(
            "/maintenance/schedules",
            {"cron": cron, "duration": duration, "reason": reason, "environment": env},
            flags={"duration": "--for", "environment": "--env", "cron": "--cron"},
        )
    emit(
        added,
        output,
        lambda console: console.print(
            f"maintenance schedule {added['id']}: {_where(added['environment'])} at '{added['cron']}' "
            f"(UTC) for {added['duration_seconds'] // 60}m (reason: {added['reason']})",
            highlight=False,
            markup=False,
        ),
    )


@maintenance_app.command("schedules")
def schedules(output: OutputOption = OutputFormat.TABLE, no_headers: NoHeadersOption = False) -> None:
    """List the maintenance schedules: when, how long, and the last window each opened."""
    with connect() as api:
        found: list[dict[str, Any]] = api.get("/maintenance/schedules")["schedules"]
    emit_rows(
        found,
        output,
        empty="no maintenance schedule",
        columns=("id", "environment", "cron (UTC)", "for", "reason", "last opened"),
        row=lambda s: (
            s["id"],
            _where(s["environment"]),
            s["cron"],
            f"{s['duration_seconds'] // 60}m",
            s["reason"],
            short_time(s["last_started_at"]),
        ),
        headers=not no_headers,
    )


@maintenance_app.command("cancel")
def cancel(
    schedule_id: Annotated[int, typer.Argument(help="The schedule's id (fleetops maintenance schedules).")],
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Cancel a maintenance schedule: no later window opens (one open now runs to its end)."""
    with connect() as api:
        cancelled: dict[str, Any] = api.delete(f"/maintenance/schedules/{schedule_id}")
    emit(cancelled, output, lambda console: console.print(f"maintenance schedule {schedule_id} cancelled"))
