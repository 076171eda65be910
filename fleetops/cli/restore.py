"""``fleetops restore DATASTORE --backup ID``: the restore runbook, started and followed.

``--dry-run`` prints the plan (the services paused, the snapshot, the counts verified) and
changes nothing. ``--wait`` follows the runbook step by step and exits 0 when the datastore was
restored and its services are healthy again, 1 when it failed (the pre-restore snapshot was put
back), 2 for a bad or damaged backup (refused before anything changed), 3 when the lock is held.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from fleetops.cli.app import app
from fleetops.cli.client import ApiClient, locate_server
from fleetops.cli.deploy import TERMINAL, WaitOption, finish
from fleetops.cli.options import EnvSelectOption, FleetFileOption, state_dir_of
from fleetops.cli.output import OutputFormat, OutputOption, emit
from fleetops.cli.progress import following_hint, poll_until, say

# Checking a large backup's sha256 before the start takes a while.
RESTORE_TIMEOUT_S = 600.0


def _lines(progress: dict[str, Any]) -> dict[str, str]:
    name = progress["execution"]
    lines = {
        step["state"]: f"{name}: {step['state']} {step['status']}" for step in progress.get("steps") or []
    }
    lines[""] = f"{name}: {progress['status']}"
    return lines


def _table(progress: dict[str, Any]) -> Group:
    colour = {"SUCCEEDED": "green", "RUNNING": "cyan"}.get(progress["status"], "red")
    head = Text.assemble((progress["execution"], "bold"), "  ", (progress["status"], colour))
    table = Table("step", "status", "since")
    for step in progress.get("steps") or []:
        table.add_row(step["state"], step["status"], step["at"])
    parts: list[Any] = [head, table]
    if progress.get("error"):
        parts.append(Text(f"{progress['error']}: {progress.get('cause') or ''}", "red"))
    return Group(*parts)


def _plan(plan: dict[str, Any], out: Console) -> None:
    backup = plan["backup"]
    out.print(
        f"restore of {plan['datastore']} ({plan['kind']}) in {plan['environment']} "
        f"from {backup['backup_id']} (dry run: nothing was changed)",
        highlight=False,
        markup=False,
    )
    for number, step in enumerate(plan["steps"], start=1):
        out.print(f"  {number}. {step}", highlight=False, markup=False)


@app.command("restore")
def restore(  # noqa: PLR0917 (typer: every option is a parameter)
    datastore: Annotated[str, typer.Argument(help="The datastore (its name in the fleet file).")],
    backup: Annotated[str, typer.Option("--backup", help="The backup's id (see `fleetops backup list`).")],
    env: EnvSelectOption = None,
    wait: WaitOption = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan; change nothing.")] = False,
    file: FleetFileOption = Path("fleet.yaml"),
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Restore a datastore from a backup: lock, pause the services using it, snapshot it,
    restore, verify its row counts, resume the services behind their health checks, unlock.
    On a failure the snapshot is put back."""
    body = {"datastore": datastore, "backup_id": backup, "environment": env, "dry_run": dry_run}
    with ApiClient(locate_server(state_dir_of(file)), timeout=RESTORE_TIMEOUT_S) as api:
        started: dict[str, Any] = api.post("/restores", body)
        if dry_run:
            emit(started, output, lambda out: _plan(started, out))
            return
        name = started["execution"]
        if not wait:
            emit(
                started,
                output,
                lambda out: out.print(
                    f"started restore {name}; follow it with: fleetops executions describe {name} --wait",
                    highlight=False,
                    markup=False,
                ),
            )
            return
        say(f"started restore {name}", output)
        progress = poll_until(
            lambda: api.get(f"/deployments/{name}"),
            lambda state: state["status"] in TERMINAL,
            output=output,
            lines=_lines,
            draw=_table,
            interrupted=following_hint(name),
        )
    if output.document:
        emit(progress, output, lambda _out: None)
    finish(progress)
