"""The notification delivery log: claims deduplicate within a window, on both databases."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from fleetops.store import Store
from fleetops.store.notifications import Delivery, DeliveryStatus

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
WINDOW = timedelta(hours=1)


def _claim(store: Store, now: datetime = T0, channel: str = "chat") -> Delivery:
    return store.notifications.claim(
        channel=channel,
        event="deploy.failed",
        event_key="deploy.failed/prod/exec-1",
        environment="prod",
        execution_id="exec-1",
        window=WINDOW,
        now=now,
    )


def test_a_claimed_key_is_a_duplicate_within_the_window(store: Store) -> None:
    first = _claim(store)
    assert (first.status, first.attempts, first.finished_at) == (DeliveryStatus.PENDING, 0, None)
    assert _claim(store, T0 + timedelta(minutes=4)).status is DeliveryStatus.DUPLICATE
    assert _claim(store, channel="mail").status is DeliveryStatus.PENDING


def test_a_failed_delivery_does_not_take_the_key(store: Store) -> None:
    first = _claim(store)
    failed = store.notifications.finish(
        first.id, status=DeliveryStatus.FAILED, attempts=3, error="postgresql://u:pw@h/db down", now=T0
    )
    assert (failed.status, failed.attempts, failed.error) == (
        DeliveryStatus.FAILED,
        3,
        "postgresql://u:***@h/db down",
    )
    assert _claim(store).status is DeliveryStatus.PENDING


def test_concurrent_claims_of_one_key_give_one_pending(store: Store) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        claims = list(pool.map(lambda _: _claim(store), range(16)))
    assert sorted(c.status for c in claims) == [DeliveryStatus.DUPLICATE] * 15 + [DeliveryStatus.PENDING]
    assert len(store.notifications.list(execution_id="exec-1")) == 16


def test_a_pending_delivery_cut_short_frees_its_key(store: Store) -> None:
    _claim(store)  # its process died before recording how it ended
    assert _claim(store, T0 + timedelta(minutes=4)).status is DeliveryStatus.DUPLICATE
    assert _claim(store, T0 + timedelta(minutes=5)).status is DeliveryStatus.PENDING


def test_a_sent_delivery_holds_its_key_for_the_whole_window(store: Store) -> None:
    first = _claim(store)
    store.notifications.finish(first.id, status=DeliveryStatus.SENT, attempts=1, error=None, now=T0)
    assert _claim(store, T0 + timedelta(minutes=59)).status is DeliveryStatus.DUPLICATE
    assert _claim(store, T0 + WINDOW).status is DeliveryStatus.PENDING
