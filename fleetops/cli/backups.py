"""``fleetops backup create / list / verify``: backups of the sandbox's datastores, through the API."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from fleetops.cli.app import app
from fleetops.cli.client import ApiClient, locate_server
from fleetops.cli.options import EnvSelectOption, FleetFileOption, state_dir_of
from fleetops.cli.output import NoHeadersOption, OutputFormat, OutputOption, emit, emit_rows, plain
from fleetops.cli.timefmt import short_time
from fleetops.errors import BadInput, OperationFailed

backup_app = typer.Typer(
    name="backup", help="Back up datastores and verify backups by restoring them.", no_args_is_help=True
)
app.add_typer(backup_app)


class BackupKind(StrEnum):
    """What ``backup create --kind`` takes."""

    LOGICAL = "logical"
    BASE = "base"


# A dump or a scratch restore of a large database takes minutes, not the API's usual seconds.
BACKUP_TIMEOUT_S = 3600.0


def _connect(file: Path) -> ApiClient:
    return ApiClient(locate_server(state_dir_of(file)), timeout=BACKUP_TIMEOUT_S)


def _size(size: int) -> str:
    return f"{size / 1e6:.2f} MB" if size >= 10_000 else f"{size} B"


def _summary(backup: dict[str, Any]) -> str:
    rows = sum(backup["contents"].values())
    return (
        f"{backup['backup_id']}: {backup['datastore']} ({backup['environment']}), "
        f"{_size(backup['size_bytes'])}, "
        f"{len(backup['contents'])} tables, {rows} rows, {backup['tool']} ({backup['tool_version']}), "
        f"at {backup['source_position']}, in {backup['duration_ms']} ms\n  {backup['location']}\n"
        f"  sha256 {backup['sha256']}"
    )


@backup_app.command("create")
def create(
    datastore: Annotated[str, typer.Argument(help="The datastore (its name in the fleet file).")],
    file: FleetFileOption = Path("fleet.yaml"),
    env: EnvSelectOption = None,
    kind: Annotated[
        BackupKind,
        typer.Option(
            "--kind",
            help="logical: the engine's dump (pg_dump -Fc, RDB, SQLite copy); base: PostgreSQL "
            "pg_basebackup, which point-in-time restores (restore --to-time) start from.",
        ),
    ] = BackupKind.LOGICAL,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Take a backup of a datastore now and record it in the catalog."""
    with _connect(file) as api:
        backup = api.post("/backups", {"datastore": datastore, "environment": env, "kind": kind.value})
    emit(backup, output, lambda out: out.print(_summary(backup), highlight=False, markup=False))


@backup_app.command("list")
def list_backups(
    file: FleetFileOption = Path("fleet.yaml"),
    env: EnvSelectOption = None,
    datastore: Annotated[str | None, typer.Option("--datastore", "-d", help="Only this datastore's.")] = None,
    output: OutputOption = OutputFormat.TABLE,
    no_headers: NoHeadersOption = False,
) -> None:
    """The backup catalog, newest first."""
    with _connect(file) as api:
        backups: list[dict[str, Any]] = api.get("/backups", environment=env, datastore=datastore)["backups"]
    emit_rows(
        backups,
        output,
        empty="no backups",
        columns=("id", "env", "datastore", "taken", "size", "rows", "position", "verified"),
        row=lambda b: (
            b["backup_id"],
            b["environment"],
            b["datastore"],
            short_time(b["created_at"]),
            _size(b["size_bytes"]),
            str(sum(b["contents"].values())),
            b["source_position"],
            _verified(b),
        ),
        headers=not no_headers,
    )


def _verified(backup: dict[str, Any]) -> Any:
    status = backup["verify_status"]
    if status is None:
        return "not yet"
    return plain(f"{status} {short_time(backup['verified_at'])}", "green" if status == "verified" else "red")


@backup_app.command("verify")
def verify(  # noqa: PLR0917 (typer: every option is a parameter)
    backup_id: Annotated[
        str | None, typer.Argument(help="The backup's id (see `fleetops backup list`).")
    ] = None,
    latest: Annotated[
        bool, typer.Option("--latest", help="The newest backup (of --env, --datastore).")
    ] = False,
    file: FleetFileOption = Path("fleet.yaml"),
    env: EnvSelectOption = None,
    datastore: Annotated[str | None, typer.Option("--datastore", "-d", help="With --latest.")] = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Verify a backup: its checksum, then a restore into a scratch server whose tables and row
    counts must be those recorded at backup time. Exit 1 when it fails."""
    if (backup_id is None) == (not latest):
        raise BadInput("name a backup id or --latest (not both)")
    with _connect(file) as api:
        if backup_id is None:
            found = api.get("/backups", environment=env, datastore=datastore)["backups"]
            if not found:
                raise BadInput(
                    "there is no backup to verify (take one with `fleetops backup create DATASTORE`)"
                )
            backup_id = str(found[0]["backup_id"])
        backup = api.post(f"/backups/{backup_id}/verify")

    def render(out: Console) -> None:
        out.print(
            f"{backup['backup_id']} ({backup['datastore']}): {backup['verify_status']} "
            f"in {backup['verify_ms']} ms: {backup['verify_detail']}",
            highlight=False,
            markup=False,
        )

    emit(backup, output, render)
    if backup["verify_status"] != "verified":
        raise OperationFailed(f"backup {backup['backup_id']} failed verification: {backup['verify_detail']}")
