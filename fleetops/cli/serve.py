"""``fleetops server``: run the control plane in the foreground."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.text import Text

from fleetops.cli.app import app
from fleetops.cli.output import OutputFormat, OutputOption, emit, err_console
from fleetops.server.settings import DEFAULT_HOST, DEFAULT_PORT, DEFAULT_STATE_DIR
from fleetops.startup import collector_paused


@app.command("server")
def server(
    *,
    host: Annotated[str, typer.Option(envvar="FLEETOPS_HOST", help="Address to listen on.")] = DEFAULT_HOST,
    port: Annotated[
        int,
        typer.Option(envvar="FLEETOPS_PORT", min=0, max=65535, help="Port to listen on; 0 picks a free one."),
    ] = DEFAULT_PORT,
    state_dir: Annotated[
        Path,
        typer.Option(
            envvar="FLEETOPS_STATE_DIR", help="Where the store, the admin token and server.json live."
        ),
    ] = DEFAULT_STATE_DIR,
    database_url: Annotated[
        str | None,
        typer.Option(
            help="The store's database URL (default: $FLEETOPS_DATABASE_URL, else SQLite in the state dir)."
        ),
    ] = None,
    fleet: Annotated[
        Path | None,
        typer.Option("--fleet", help="Run this fleet file's environments (see --env) while serving."),
    ] = None,
    env: Annotated[
        list[str] | None,
        typer.Option("--env", "-e", help="An environment of --fleet to run (repeatable; default dev)."),
    ] = None,
    version: Annotated[
        str, typer.Option("--version", help="Version services start at when the store knows none.")
    ] = "v1",
    handlers: Annotated[
        list[str] | None,
        typer.Option(
            "--handlers",
            metavar="MODULE:FUNCTION",
            help="Call FUNCTION(registry) at start to register task handlers (repeatable; "
            "also $FLEETOPS_HANDLERS, comma-separated).",
        ),
    ] = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Run the control-plane server in the foreground until Ctrl-C."""
    with collector_paused():
        from fleetops.server.serve import serve
    from fleetops.server.settings import ServerSettings

    def announce(info: dict[str, Any]) -> None:
        def render(_console: Console) -> None:
            # On stderr, with uvicorn's log: stdout stays clean for --output json.
            err_console.print(
                Text.assemble(
                    "fleetops server on ",
                    (str(info["url"]), "bold"),
                    f" (pid {info['pid']}, {info['store']} store, state in {info['state_dir']});"
                    " Ctrl-C stops it",
                )
            )

        emit(info, output, render)

    settings = ServerSettings(
        state_dir=state_dir,
        database_url=database_url,
        host=host,
        port=port,
        fleet_file=fleet,
        environment=(env or ["dev"])[0],
        more_environments=tuple(dict.fromkeys((env or [])[1:])),
        initial_version=version,
        handlers=tuple(handlers or ()),
    )
    serve(settings, announce)
