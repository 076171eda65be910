"""``fleetops releases [SERVICE]``: the numbered releases each deployment pinned."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from fleetops.cli.app import app
from fleetops.cli.client import connect
from fleetops.cli.output import NoHeadersOption, OutputFormat, OutputOption, emit_rows, plain
from fleetops.cli.timefmt import short_time

_STATUS_STYLE = {"verified": "green", "pinned": "cyan", "failed": "red", "rolled_back": "yellow"}


@app.command("releases")
def releases(  # noqa: PLR0917 (typer: every option is a parameter)
    service: Annotated[str | None, typer.Argument(help="Only this service's releases.")] = None,
    env: Annotated[str | None, typer.Option("--env", "-e", help="Only this environment.")] = None,
    status: Annotated[str | None, typer.Option(help="pinned, verified, failed or rolled_back.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many, newest first.")] = 20,
    output: OutputOption = OutputFormat.TABLE,
    no_headers: NoHeadersOption = False,
) -> None:
    """List releases newest first: number, version, status, and the deployment that pinned them."""
    with connect() as api:
        found: list[dict[str, Any]] = api.get(
            "/releases", environment=env, service=service, status=status, limit=limit
        )["releases"]

    emit_rows(
        found,
        output,
        empty="no releases",
        columns=("env", "service", "#", "version", "status", "pinned", "verified", "execution"),
        row=lambda r: (
            r["environment"],
            r["service"],
            r["number"],
            r["version"],
            plain(r["status"], _STATUS_STYLE.get(r["status"], "")),
            short_time(r["created_at"]),
            short_time(r["verified_at"]),
            r["execution_id"],
        ),
        headers=not no_headers,
    )
