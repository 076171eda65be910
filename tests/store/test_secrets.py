"""Secret versions and staging labels: labels move the way Secrets Manager moves them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fleetops.store import Store
from fleetops.store.secrets import AWSCURRENT, AWSPENDING, AWSPREVIOUS

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _add(store: Store, version_id: str, minutes: int, stages: tuple[str, ...] = (AWSCURRENT,)) -> None:
    store.secrets.add_version(
        "dev", "api-key", version_id=version_id, ciphertext=b"sealed-" + version_id.encode(),
        source="put", by="alice", at=T0 + timedelta(minutes=minutes), stages=stages,
    )  # fmt: skip


def _labels(store: Store) -> list[tuple[str, int, tuple[str, ...]]]:
    return [(v.version_id, v.number, v.stages) for v in store.secrets.versions("dev", "api-key")]


def test_first_version_is_current(store: Store) -> None:
    _add(store, "v-a", 0)
    assert _labels(store) == [("v-a", 1, (AWSCURRENT,))]


def test_a_new_current_makes_the_old_one_previous_and_the_one_before_unlabelled(store: Store) -> None:
    _add(store, "v-a", 0)
    _add(store, "v-b", 1)
    _add(store, "v-c", 2)
    assert _labels(store) == [("v-a", 1, ()), ("v-b", 2, (AWSPREVIOUS,)), ("v-c", 3, (AWSCURRENT,))]


def test_a_pending_version_leaves_current_alone(store: Store) -> None:
    _add(store, "v-a", 0)
    _add(store, "v-b", 1, (AWSPENDING,))
    assert _labels(store) == [("v-a", 1, (AWSCURRENT,)), ("v-b", 2, (AWSPENDING,))]


def test_finishing_a_rotation_moves_current_and_previous(store: Store) -> None:
    _add(store, "v-a", 0)
    _add(store, "v-b", 1, (AWSPENDING,))
    store.secrets.move_stage("dev", "api-key", AWSCURRENT, "v-b", by="rotation", at=T0 + timedelta(minutes=2))
    assert store.secrets.remove_stage("dev", "api-key", AWSPENDING, by="rotation", at=T0) == "v-b"
    assert _labels(store) == [("v-a", 1, (AWSPREVIOUS,)), ("v-b", 2, (AWSCURRENT,))]


def test_history_records_every_move_without_values(store: Store) -> None:
    _add(store, "v-a", 0)
    _add(store, "v-b", 1)
    events = [(e.action, e.version_id, e.detail) for e in store.secrets.history("dev", "api-key")]
    assert events == [
        ("version.created", "v-a", {"source": "put"}),
        ("stage.moved", "v-a", {"stage": AWSCURRENT, "from": None}),
        ("version.created", "v-b", {"source": "put"}),
        ("stage.moved", "v-a", {"stage": AWSPREVIOUS, "from": None}),
        ("stage.moved", "v-b", {"stage": AWSCURRENT, "from": "v-a"}),
    ]


def test_moving_a_label_to_an_unknown_version_changes_nothing(store: Store) -> None:
    _add(store, "v-a", 0)
    with pytest.raises(KeyError, match="no version 'v-x'"):
        store.secrets.move_stage("dev", "api-key", AWSCURRENT, "v-x", by="bob", at=T0)
    assert _labels(store) == [("v-a", 1, (AWSCURRENT,))]


def test_an_unknown_label_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match=r"unknown staging label\(s\) \['LATEST'\]"):
        _add(store, "v-a", 0, ("LATEST",))
    assert store.secrets.names("dev") == []


def test_staged_gives_the_ciphertexts_of_the_labels_asked_for(store: Store) -> None:
    _add(store, "v-a", 0)
    _add(store, "v-b", 1)
    _add(store, "v-c", 2, (AWSPENDING,))
    staged = [
        (s.stage, s.version_id, s.ciphertext) for s in store.secrets.staged("dev", [AWSCURRENT, AWSPENDING])
    ]
    assert staged == [(AWSCURRENT, "v-b", b"sealed-v-b"), (AWSPENDING, "v-c", b"sealed-v-c")]
