"""The audit log: record/list round trip, filters, paging, redaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fleetops.store import AuditEntry, Outcome, Store

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def test_record_then_list_round_trips_every_field(store: Store) -> None:
    recorded = store.audit.record(
        actor="alice",
        action="deploy.start",
        target="env/dev",
        arguments={"version": "v2", "services": ["api", "web"], "wait": True},
        outcome=Outcome.FAILED,
        error="rollout of api failed health checks",
        at=T0,
    )
    assert store.audit.list() == [
        AuditEntry(
            id=recorded.id,
            at=T0,
            actor="alice",
            action="deploy.start",
            target="env/dev",
            arguments={"version": "v2", "services": ["api", "web"], "wait": True},
            outcome=Outcome.FAILED,
            error="rollout of api failed health checks",
        )
    ]


def test_times_come_back_in_utc(store: Store) -> None:
    paris = T0.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Paris"))
    store.audit.record(actor="alice", action="a", at=paris)
    [entry] = store.audit.list()
    assert entry.at == T0
    assert entry.at.tzinfo is UTC


def test_secret_arguments_are_stored_redacted(store: Store) -> None:
    store.audit.record(
        actor="alice",
        action="secrets.put",
        arguments={
            "secret_name": "db-password",
            "value": {"password": "hunter2", "user": "app"},
            "database_url": "postgresql://app:hunter2@db/orders",
            "apiKey": "abc",
        },
        error="could not reach postgresql://app:hunter2@db/orders",
    )
    [entry] = store.audit.list()
    assert entry.arguments == {
        "secret_name": "db-password",
        "value": {"password": "***", "user": "app"},
        "database_url": "postgresql://app:***@db/orders",
        "apiKey": "***",
    }
    assert entry.error == "could not reach postgresql://app:***@db/orders"


def test_values_json_cannot_hold_are_stored_as_text(store: Store) -> None:
    store.audit.record(actor="alice", action="a", arguments={"when": T0})
    assert store.audit.list()[0].arguments == {"when": "2026-11-22 09:00:00+00:00"}


def _seed(store: Store) -> None:
    for minute, (actor, action, outcome) in enumerate(
        [
            ("alice", "tokens.create", Outcome.SUCCESS),
            ("bob", "tokens.revoke", Outcome.REFUSED),
            ("alice", "deploy.start", Outcome.SUCCESS),
            ("carol", "tokens_x", Outcome.BAD_INPUT),
        ]
    ):
        store.audit.record(
            actor=actor,
            action=action,
            target=f"t{minute}",
            outcome=outcome,
            at=T0 + timedelta(minutes=minute),
        )


@pytest.mark.parametrize(
    ("filters", "targets"),
    [
        ({}, ["t3", "t2", "t1", "t0"]),
        ({"actor": "alice"}, ["t2", "t0"]),
        ({"action": "tokens.create"}, ["t0"]),
        ({"action": "tokens.*"}, ["t1", "t0"]),
        ({"outcome": Outcome.REFUSED}, ["t1"]),
        ({"target": "t2"}, ["t2"]),
        ({"since": T0 + timedelta(minutes=1), "until": T0 + timedelta(minutes=3)}, ["t2", "t1"]),
        ({"actor": "alice", "action": "deploy.*"}, ["t2"]),
    ],
)
def test_list_filters(store: Store, filters: dict[str, object], targets: list[str]) -> None:
    _seed(store)
    assert [entry.target for entry in store.audit.list(**filters)] == targets  # type: ignore[arg-type]
    assert store.audit.count(**filters) == len(targets)  # type: ignore[arg-type]


def test_list_pages_newest_first(store: Store) -> None:
    _seed(store)
    pages = [[e.target for e in store.audit.list(limit=3, offset=offset)] for offset in (0, 3, 6)]
    assert pages == [["t3", "t2", "t1"], ["t0"], []]


def test_negative_paging_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match=r"limit and offset must be >= 0 \(got limit=-1, offset=0\)"):
        store.audit.list(limit=-1)


def test_long_fields_are_clipped_not_refused(store: Store) -> None:
    entry = store.audit.record(actor="a" * 300, action="x", target="t" * 600)
    assert entry.actor == "a" * 199 + "…"
    assert store.audit.list()[0].target == "t" * 499 + "…"
