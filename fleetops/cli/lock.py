"""``fleetops lock status`` and ``fleetops lock release --force``: deployment locks."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console

from fleetops.cli.app import app
from fleetops.cli.client import connect
from fleetops.cli.output import NoHeadersOption, OutputFormat, OutputOption, emit, emit_rows
from fleetops.cli.timefmt import short_time
from fleetops.errors import BadInput

lock_app = typer.Typer(name="lock", help="Show and clear deployment locks.", no_args_is_help=True)
app.add_typer(lock_app)

EnvOption = Annotated[str | None, typer.Option("--env", "-e", help="One environment; default: all.")]


@lock_app.command("status")
def status(
    env: EnvOption = None, output: OutputOption = OutputFormat.TABLE, no_headers: NoHeadersOption = False
) -> None:
    """Who holds each environment's deployment lock, why, since when and until when."""
    with connect() as api:
        locks: list[dict[str, Any]] = api.get("/locks")["locks"]
    if env is not None:
        locks = [lock for lock in locks if lock["environment"] == env]

    emit_rows(
        locks,
        output,
        empty="no environment is locked" if env is None else f"environment {env!r} is not locked",
        columns=("env", "owner", "reason", "since", "lease until"),
        row=lambda lock: (
            lock["environment"],
            lock["owner"],
            lock["reason"],
            short_time(lock["acquired_at"]),
            short_time(lock["expires_at"]) + (" (expired)" if lock["expired"] else ""),
        ),
        headers=not no_headers,
    )


@lock_app.command("release")
def release(
    force: Annotated[
        bool, typer.Option("--force", help="Required: releases the lock whoever holds it.")
    ] = False,
    env: Annotated[
        str | None, typer.Option("--env", "-e", help="The environment; default: the only one locked.")
    ] = None,
    stop_holder: Annotated[
        bool,
        typer.Option(
            "--stop-holder",
            help="If the holder still runs, stop it first (as `fleetops stop`: it is rolled back, "
            "and its rollback holds the lock until it ends).",
        ),
    ] = False,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Release a lock left by a crashed deployment (admin; recorded in the audit log). A lock
    whose deployment still runs is refused (exit 3) unless --stop-holder."""
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
        path = f"/locks/{env}" + ("?stop_holder=true" if stop_holder else "")
        result: dict[str, Any] = api.delete(path)

    def render(console: Console) -> None:
        stopped, released = result.get("stopped"), result.get("released")
        if stopped is not None:
            rollback = stopped.get("rollback")
            then = f"; rolling back as {rollback['execution']}" if rollback else ""
            console.print(f"stopped {stopped['execution']}{then}", highlight=False, markup=False)
        if released is not None:
            console.print(
                f"released the lock of {released['environment']} held by {released['owner']} "
                f"(reason: {released['reason']})",
                highlight=False,
                markup=False,
            )
        elif result.get("held_by"):
            console.print(
                f"the lock of {env} stays held (by {result['held_by']}) until that rollback ends",
                highlight=False,
                markup=False,
            )

    emit(result, output, render)
