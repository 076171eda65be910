"""``fleetops lock status`` and ``fleetops lock release --force``: deployment locks."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from fleetops.cli.client import connect
from fleetops.cli.main import app
from fleetops.cli.output import OutputFormat, OutputOption, emit
from fleetops.cli.timefmt import short_time
from fleetops.errors import BadInput

lock_app = typer.Typer(name="lock", help="Show and clear deployment locks.", no_args_is_help=True)
app.add_typer(lock_app)

EnvOption = Annotated[str | None, typer.Option("--env", "-e", help="One environment; default: all.")]


@lock_app.command("status")
def status(env: EnvOption = None, output: OutputOption = OutputFormat.TABLE) -> None:
    """Who holds each environment's deployment lock, why, since when and until when."""
    with connect() as api:
        locks: list[dict[str, Any]] = api.get("/locks")["locks"]
    if env is not None:
        locks = [lock for lock in locks if lock["environment"] == env]

    def render(console: Console) -> None:
        if not locks:
            text = "no environment is locked" if env is None else f"environment {env!r} is not locked"
            console.print(text, highlight=False)
            return
        table = Table("env", "owner", "reason", "since", "lease until")
        for lock in locks:
            until = short_time(lock["expires_at"]) + (" (expired)" if lock["expired"] else "")
            table.add_row(
                lock["environment"], lock["owner"], lock["reason"], short_time(lock["acquired_at"]), until
            )
        console.print(table)

    emit(locks, output, render)


@lock_app.command("release")
def release(
    force: Annotated[
        bool, typer.Option("--force", help="Required: releases the lock whoever holds it.")
    ] = False,
    env: Annotated[
        str | None, typer.Option("--env", "-e", help="The environment; default: the only one locked.")
    ] = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Release a lock left by a crashed deployment (admin; recorded in the audit log)."""
    if not force:
        raise BadInput(
            "lock release needs --force: it takes the lock from whoever holds it (a deployment "
            "releases its own lock when it ends; see `fleetops lock status`)"
        )
    with connect() as api:
        if env is None:
            held = [lock["environment"] for lock in api.get("/locks")["locks"]]
            if len(held) != 1:
                raise BadInput(
                    "name the environment whose lock to release with --env "
                    f"(locked environments: {', '.join(held) or 'none'})"
                )
            env = held[0]
        released: dict[str, Any] = api.delete(f"/locks/{env}")["released"]

    emit(
        released,
        output,
        lambda console: console.print(
            f"released the lock of {released['environment']} held by {released['owner']} "
            f"(reason: {released['reason']})",
            highlight=False,
        ),
    )
