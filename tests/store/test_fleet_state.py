"""The fleet runtime's tables: service state and rollouts, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from fleetops.store import Store

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def _rollout(rollout_id: str, status: str = "Pending", **changes: Any) -> dict[str, Any]:
    row = {
        "rollout_id": rollout_id,
        "environment": "dev",
        "service": "menu",
        "version": "v2",
        "release_number": 2,
        "previous_version": "v1",
        "previous_release_number": 1,
        "preferences": {"aws": {"MinHealthyPercentage": 100}},
        "status": status,
        "status_reason": "",
        "percentage_complete": 0,
        "instances_to_update": 2,
        "started_at": T0,
    }
    return {**row, **changes}


def test_service_state_is_created_then_changed_field_by_field(store: Store) -> None:
    store.service_state.save("dev", "menu", version="v1", desired=2, now=T0)
    saved = store.service_state.save("dev", "menu", version="v2", release_number=7, now=T0)
    assert (saved.version, saved.release_number, saved.desired) == ("v2", 7, 2)
    assert list(store.service_state.all("dev")) == ["menu"]
    assert store.service_state.all("prod") == {}


def test_a_new_service_state_needs_version_and_desired(store: Store) -> None:
    with pytest.raises(
        ValueError, match="a new service state for 'menu' needs a version and a desired count"
    ):
        store.service_state.save("dev", "menu", desired=2)


def test_creating_a_known_rollout_returns_the_stored_one(store: Store) -> None:
    first, created = store.rollouts.create(_rollout("r-1"))
    again, created_again = store.rollouts.create(_rollout("r-1", version="v9"))
    assert (created, created_again, again.version) == (True, False, "v2")
    assert again == first


def test_progress_is_saved_and_unfinished_rollouts_listed(store: Store) -> None:
    store.rollouts.create(_rollout("r-1", "InProgress"))
    store.rollouts.create(_rollout("r-2", "Successful", started_at=T0.replace(hour=10)))
    store.rollouts.update("r-1", status="Baking", percentage_complete=100, checkpoint="50%")
    row = store.rollouts.get("r-1")
    assert row is not None and (row.status, row.percentage_complete, row.checkpoint, row.unfinished) == (
        "Baking",
        100,
        "50%",
        True,
    )
    assert [r.rollout_id for r in store.rollouts.list("dev")] == ["r-2", "r-1"]
    assert [r.rollout_id for r in store.rollouts.list("dev", unfinished=True)] == ["r-1"]
    assert store.rollouts.get("nope") is None


def test_a_cancel_is_asked_once_and_only_of_a_cancellable_rollout(store: Store) -> None:
    store.rollouts.create(_rollout("r-1", "InProgress"))
    store.rollouts.create(_rollout("r-2", "Successful"))
    asked = store.rollouts.request_cancel("r-1", now=T0)
    again = store.rollouts.request_cancel("r-1", now=T0.replace(hour=10))
    ended = store.rollouts.request_cancel("r-2", now=T0)
    assert asked is not None and (asked.cancel_requested_at, asked.cancel_pending) == (T0, True)
    assert again == asked
    assert ended is not None and (ended.cancel_requested_at, ended.cancel_pending) == (None, False)
    assert (store.rollouts.cancel_requested("r-1"), store.rollouts.cancel_requested("r-2")) == (True, False)
    assert store.rollouts.request_cancel("nope") is None
    store.rollouts.update("r-1", status="Cancelling")
    row = store.rollouts.get("r-1")
    assert row is not None and (row.cancel_requested_at, row.cancel_pending) == (T0, False)
