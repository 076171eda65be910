"""Recurring maintenance on a fake clock: a window opens at the cron's time, closes after its
length, each announced once; cron expressions as crontab reads them."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fleetops.errors import BadInput
from fleetops.ops.cron import Cron
from fleetops.ops.maintenance import maintenance_status
from fleetops.ops.maintenance_schedule import MaintenanceScheduler, schedule_maintenance
from fleetops.spec.resources import WebhookChannel
from fleetops.store import Store
from fleetops.testing.fake_clock import FakeClock
from fleetops.testing.receivers import WebhookReceiver, webhook_receiver

SATURDAY_NIGHT = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)  # a Sunday, 01:00


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(None, tmp_path) as opened:
        yield opened


@pytest.fixture
def hook() -> Iterator[WebhookReceiver]:
    with webhook_receiver() as receiver:
        yield receiver


def _texts(hook: WebhookReceiver) -> list[str]:
    return [body["text"].splitlines()[0] for body in hook.bodies]


def test_a_weekly_window_opens_and_closes_on_the_clock(store: Store, hook: WebhookReceiver) -> None:
    clock = FakeClock(SATURDAY_NIGHT)
    schedule_maintenance(
        store, environment="prod", cron="0 2 * * SUN", duration=timedelta(hours=2), reason="db patching",
        by="alice", now=clock.now(),
    )  # fmt: skip
    channels = {"chat": WebhookChannel(type="webhook", url=hook.url, events=["maintenance.*"])}
    scheduler = MaintenanceScheduler(store, clock, lambda: channels, interval=60)
    seen: dict[str, object] = {}

    # On the clock's virtual-time loop: time jumps whenever every task sleeps on it.
    async def main() -> None:
        task = asyncio.create_task(scheduler.run())
        await clock.sleep(30 * 60)  # 01:30: not yet
        seen["01:30"] = maintenance_status(store, environment="prod", now=clock.now())
        await clock.sleep(60 * 60)  # 02:30: open since 02:00, until 04:00
        seen["02:30"] = [
            (w.reason, w.started_by, w.ends_at) for w in maintenance_status(store, now=clock.now())
        ]
        seen["02:30 texts"] = _texts(hook)
        await clock.sleep(2 * 60 * 60)  # 04:30: over
        seen["04:30"] = maintenance_status(store, now=clock.now())
        await clock.sleep(24 * 60 * 60)  # Monday: nothing more
        task.cancel()

    clock.run(main())
    assert seen["01:30"] == []
    assert seen["02:30"] == [("db patching", "schedule #1", datetime(2026, 11, 22, 4, 0, tzinfo=UTC))]
    assert seen["02:30 texts"] == ["prod: maintenance started (schedule-1-20261122T0200)"]
    assert seen["04:30"] == []
    assert _texts(hook) == [
        "prod: maintenance started (schedule-1-20261122T0200)",
        "prod: maintenance ended after 2h00m (schedule-1-20261122T0200)",
    ]


def test_a_cancelled_schedule_opens_nothing(store: Store) -> None:
    clock = FakeClock(SATURDAY_NIGHT)
    schedule = schedule_maintenance(
        store,
        environment=None,
        cron="*/10 * * * *",
        duration=timedelta(minutes=5),
        reason="r",
        by="a",
        now=clock.now(),
    )
    store.maintenance_schedules.cancel(schedule.id, now=clock.now())
    assert MaintenanceScheduler(store, clock, dict).tick() == []
    assert maintenance_status(store, now=clock.now()) == []


@pytest.mark.parametrize(
    ("cron", "moment", "matches"),
    [
        ("0 2 * * SUN", datetime(2026, 11, 22, 2, 0), True),
        ("0 2 * * 7", datetime(2026, 11, 22, 2, 0), True),
        ("0 2 * * MON-FRI", datetime(2026, 11, 22, 2, 0), False),
        ("*/15 8-18/2 * * *", datetime(2026, 11, 23, 10, 45), True),
        ("*/15 8-18/2 * * *", datetime(2026, 11, 23, 11, 45), False),
        ("30 1 1,15 * *", datetime(2026, 11, 15, 1, 30), True),
        ("0 0 13 * FRI", datetime(2026, 11, 20, 0, 0), True),  # either day field matches
        ("0 0 1 JAN *", datetime(2027, 1, 1, 0, 0), True),
    ],
)
def test_cron_matches(cron: str, moment: datetime, matches: bool) -> None:
    assert Cron.parse(cron).matches(moment.replace(tzinfo=UTC)) is matches


@pytest.mark.parametrize(
    ("cron", "message"),
    [
        ("0 2 * *", "cron '0 2 * *': expected 5 fields (minute hour day-of-month month day-of-week), got 4"),
        ("60 2 * * *", "cron minute '60': expected values from 0 to 59, in order"),
        ("0 2 * * FUNDAY", "cron day of week 'FUNDAY': 'FUNDAY' is not a number"),
        ("*/0 * * * *", "cron minute '*/0': step '0' must be at least 1"),
    ],
)
def test_bad_cron_is_refused_naming_the_field(cron: str, message: str) -> None:
    with pytest.raises(BadInput) as raised:
        Cron.parse(cron)
    assert str(raised.value) == message
