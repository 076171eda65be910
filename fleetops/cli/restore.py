"""``fleetops restore DATASTORE --backup ID | --to-time T``: the restore runbook, started and followed.

``--dry-run`` prints the plan (the services paused, the snapshot, the counts verified) and
changes nothing. ``--wait`` follows the runbook step by step and exits 0 when the datastore was
restored and its services are healthy again, 1 when it failed (the pre-restore snapshot was put
back), 2 for a bad or damaged backup or a time no base backup reaches (refused before anything
changed), 3 when the lock is held.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from fleetops.cli.app import app
from fleetops.cli.client import ApiClient, locate_server
from fleetops.cli.deploy import WaitOption, follow_started
from fleetops.cli.options import EnvSelectOption, FleetFileOption, state_dir_of
from fleetops.cli.output import OutputFormat, OutputOption, emit
from fleetops.cli.progress import step_lines, step_table
from fleetops.errors import BadInput

# Checking a large backup's sha256 before the start takes a while.
RESTORE_TIMEOUT_S = 600.0


def _plan(plan: dict[str, Any], out: Console) -> None:
    backup = plan["backup"]
    source = (
        f"from {backup['backup_id']}"
        if not plan.get("to_time")
        else f"to {plan['to_time']} (from base backup {backup['backup_id']})"
    )
    out.print(
        f"restore of {plan['datastore']} ({plan['kind']}) in {plan['environment']} "
        f"{source} (dry run: nothing was changed)",
        highlight=False,
        markup=False,
    )
    for number, step in enumerate(plan["steps"], start=1):
        out.print(f"  {number}. {step}", highlight=False, markup=False)


def _moment(text: str) -> str:
    """``--to-time`` as ISO 8601 with a zone (a time without one is this machine's local time)."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(
            f"--to-time {text!r} is not a time: ISO 8601, as 2026-12-07T04:10:00Z or 2026-12-07 05:10:00"
        ) from None
    return (moment if moment.tzinfo is not None else moment.astimezone()).isoformat()


@app.command("restore")
def restore(  # noqa: PLR0917 (typer: every option is a parameter)
    datastore: Annotated[str, typer.Argument(help="The datastore (its name in the fleet file).")],
    backup: Annotated[
        str | None, typer.Option("--backup", help="The backup's id (see `fleetops backup list`).")
    ] = None,
    to_time: Annotated[
        str | None,
        typer.Option(
            "--to-time",
            help="PostgreSQL: its state at this time (ISO 8601, as 2026-12-07T04:10:00Z; without "
            "a zone, this machine's), from the newest base backup before it and the archived WAL.",
        ),
    ] = None,
    env: EnvSelectOption = None,
    wait: WaitOption = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan; change nothing.")] = False,
    file: FleetFileOption = Path("fleet.yaml"),
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Restore a datastore from a backup (or, PostgreSQL, to a point in time): lock, pause the
    services using it, snapshot it, restore, verify its row counts, resume the services behind
    their health checks, unlock. On a failure the snapshot is put back."""
    if (backup is None) == (to_time is None):
        raise BadInput("name a backup (--backup ID) or a time (--to-time T), not both")
    body: dict[str, Any] = {"datastore": datastore, "environment": env, "dry_run": dry_run}
    if backup is not None:
        body["backup_id"] = backup
    else:
        body["to_time"] = _moment(str(to_time))
    with ApiClient(locate_server(state_dir_of(file)), timeout=RESTORE_TIMEOUT_S) as api:
        started: dict[str, Any] = api.post("/restores", body)
        if dry_run:
            emit(started, output, lambda out: _plan(started, out))
            return
        follow_started(api, started, wait, output, lines=step_lines, draw=step_table)
