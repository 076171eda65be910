"""A rollout while the runtime runs it, and its persisted form (the ``rollouts`` table).

``RunningRollout`` pairs a request with its ``InstanceRefresh``; ``view_of`` describes it,
``new_row`` is what is saved when it starts (or when its id is fenced), ``progress_of`` while it
runs, and ``row_view`` describes one read back from the store. Preferences are saved in the AWS
JSON form (seconds) plus their milliseconds, so a sub-second warmup survives a restart.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import Future
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from fleetops.rollout import InstanceRefresh, RefreshPreferences, RefreshStatus
from fleetops.runbooks.ports import FENCED, RolloutRequest, RolloutView
from fleetops.store.fleet_state import RolloutRow, ServiceState


@dataclass
class RunningRollout:
    """A rollout the runtime is running."""

    request: RolloutRequest
    refresh: InstanceRefresh
    started_at: datetime
    future: Future[None] | None = None
    rollback: bool = False
    """A rollback resumed after a restart: the refresh brings back the previous version."""


def view_of(running: RunningRollout) -> RolloutView:
    """The rollout as it is now."""
    refresh, request = running.refresh, running.request
    failure = refresh.failure.render() if refresh.failure is not None else None
    ended = None if refresh.end_time is None else datetime.fromtimestamp(refresh.end_time / 1000, UTC)
    return RolloutView(
        rollout_id=request.rollout_id,
        environment=request.environment,
        service=request.service,
        version=request.version,
        release_number=request.release_number,
        status=status_of(running),
        status_reason=refresh.status_reason,
        percentage_complete=refresh.percentage_complete,
        instances_to_update=refresh.instances_to_update,
        checkpoint=None if refresh.last_checkpoint is None else f"{refresh.last_checkpoint}%",
        started_at=running.started_at,
        ended_at=ended,
        failure=failure,
    )


_ROLLBACK_STATUS = {
    RefreshStatus.SUCCESSFUL: RefreshStatus.ROLLBACK_SUCCESSFUL,
    RefreshStatus.FAILED: RefreshStatus.ROLLBACK_FAILED,
    RefreshStatus.CANCELLED: RefreshStatus.ROLLBACK_FAILED,
}


def status_of(running: RunningRollout) -> str:
    # A resumed rollback is a refresh toward the previous version, reported in rollback words.
    status = running.refresh.status
    if not running.rollback:
        return status.value
    return _ROLLBACK_STATUS.get(status, RefreshStatus.ROLLBACK_IN_PROGRESS).value


def progress_of(running: RunningRollout) -> dict[str, Any]:
    refresh = running.refresh
    return {
        "status": status_of(running),
        "status_reason": refresh.status_reason,
        "percentage_complete": refresh.percentage_complete,
        "instances_to_update": refresh.instances_to_update,
        "checkpoint": None if refresh.last_checkpoint is None else f"{refresh.last_checkpoint}%",
        "failure": refresh.failure.render() if refresh.failure is not None else None,
    }


def new_row(
    request: RolloutRequest,
    preferences: RefreshPreferences,
    *,
    previous: ServiceState,
    now: datetime,
    fence: bool = False,
) -> dict[str, Any]:
    """The ``rollouts`` row of a rollout starting now (Pending), or of a fence of its id:
    Cancelled (``FENCED``) and ended at once, so a later start of that id launches nothing."""
    status = RefreshStatus.CANCELLED if fence else RefreshStatus.PENDING
    return {
        "rollout_id": request.rollout_id,
        "environment": request.environment,
        "service": request.service,
        "version": request.version,
        "release_number": request.release_number,
        "previous_version": previous.version,
        "previous_release_number": previous.release_number,
        "preferences": preferences_json(preferences),
        "status": status.value,
        "status_reason": FENCED if fence else "",
        "percentage_complete": 0,
        "instances_to_update": 0,
        "started_at": now,
        "ended_at": now if fence else None,
    }


def preferences_json(preferences: RefreshPreferences) -> dict[str, Any]:
    return {
        "aws": preferences.to_aws(),
        "ms": {
            "instance_warmup_ms": preferences.instance_warmup_ms,
            "checkpoint_delay_ms": preferences.checkpoint_delay_ms,
            "bake_time_ms": preferences.bake_time_ms,
        },
    }


def preferences_from_json(data: Mapping[str, Any]) -> RefreshPreferences:
    # The AWS form rounds durations to seconds; the milliseconds kept beside it restore them.
    base = RefreshPreferences.from_aws(data["aws"])
    return replace(base, **data.get("ms", {}))


def row_view(row: RolloutRow) -> RolloutView:
    return RolloutView(
        rollout_id=row.rollout_id,
        environment=row.environment,
        service=row.service,
        version=row.version,
        release_number=row.release_number,
        status=row.status,
        status_reason=row.status_reason,
        percentage_complete=row.percentage_complete,
        instances_to_update=row.instances_to_update,
        checkpoint=row.checkpoint,
        started_at=row.started_at,
        ended_at=row.ended_at,
        failure=row.failure,
    )
