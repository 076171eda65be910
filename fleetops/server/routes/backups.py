"""``/backups``: the backup catalog (viewer); take a backup, verify one by restore (operator).
``/restores``: restore a datastore from a backup through the restore runbook (operator)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Depends, Path, Query, Request
from pydantic import Field

from fleetops.control.backups import Backups
from fleetops.errors import BadInput
from fleetops.server.auth import Role, require
from fleetops.server.deps import StoreDep
from fleetops.server.errors import AUTHENTICATED, error_responses
from fleetops.server.names import check_request_names
from fleetops.server.request_models import StrictModel
from fleetops.server.route_table import RouteTable
from fleetops.server.routes.deployments import DeploymentsDep, Operator
from fleetops.server.routes.environments import EnvironmentsDep
from fleetops.spec.names import unknown

router = RouteTable(tags=["backups"], responses=error_responses(*AUTHENTICATED, 404, 409, 423))
BackupId = Annotated[str, Path(max_length=100)]


class BackupBody(StrictModel):
    """Back up ``datastore`` of ``environment`` (default: the only one running); ``kind``
    ``logical`` (the engine's dump) or ``base`` (PostgreSQL ``pg_basebackup``, for
    point-in-time restores)."""

    datastore: str = Field(min_length=1, max_length=100)
    environment: str | None = Field(None, min_length=1, max_length=100)
    kind: Literal["logical", "base"] = "logical"


@router.get("/backups", name="backups.list", dependencies=[Depends(require(Role.VIEWER))])
def list_backups(
    store: StoreDep,
    environments: EnvironmentsDep,
    environment: Annotated[str | None, Query(max_length=100)] = None,
    datastore: Annotated[str | None, Query(max_length=100)] = None,
) -> dict[str, Any]:
    """Backups, newest first, with their verification."""
    found = Backups(store, environments).list(environment=environment, datastore=datastore)
    return {"backups": [backup.to_json() for backup in found]}


@router.post("/backups", name="backups.create", status_code=201)
def create_backup(
    body: BackupBody, store: StoreDep, environments: EnvironmentsDep, caller: Operator
) -> dict[str, Any]:
    """Take a backup of a datastore now; its catalog entry."""
    backups = Backups(store, environments)
    return backups.create(body.datastore, environment=body.environment, kind=body.kind).to_json()


@router.post("/backups/{backup_id}/verify", name="backups.verify")
def verify_backup(
    backup_id: BackupId, store: StoreDep, environments: EnvironmentsDep, caller: Operator
) -> dict[str, Any]:
    """Verify a backup by restoring it into a scratch server; its catalog entry, with
    ``verify_status`` verified or failed (a failed verification is still 200: it was recorded)."""
    return Backups(store, environments).verify(backup_id).to_json()


class RestoreBody(StrictModel):
    """Restore ``datastore`` of ``environment`` (default: the only one running) from backup
    ``backup_id``, or (PostgreSQL) to its state at ``to_time`` (ISO 8601 with a zone); ``dry_run``:
    only the plan."""

    datastore: str = Field(min_length=1, max_length=100)
    backup_id: str | None = Field(None, min_length=1, max_length=100)
    to_time: str | None = Field(None, min_length=1, max_length=64)
    environment: str | None = Field(None, min_length=1, max_length=100)
    dry_run: bool = False


@router.post("/restores", name="restores.start", status_code=201)
async def start_restore(
    body: RestoreBody,
    request: Request,
    deployments: DeploymentsDep,
    environments: EnvironmentsDep,
    caller: Operator,
) -> dict[str, Any]:
    """Start the restore runbook (lock, pause the datastore's services, snapshot, restore,
    verify, resume, unlock); with ``dry_run`` its plan, nothing changed. A damaged backup, a
    time in the future or before the oldest base backup are refused (400) before anything
    changes; a held lock (423)."""
    if body.environment is not None:
        check_request_names(request, environments=[body.environment])
    runtime = environments.pick(body.environment)
    present = sorted(
        name
        for name, spec in runtime.fleet.datastores.items()
        if spec.environments is None or runtime.environment in spec.environments
    )
    if body.datastore not in present:
        raise BadInput(unknown("datastore", body.datastore, present))
    return deployments.restore(
        datastore=body.datastore,
        backup_id=body.backup_id,
        to_time=body.to_time,
        environment=runtime.environment,
        requested_by=caller.name,
        dry_run=body.dry_run,
    )
