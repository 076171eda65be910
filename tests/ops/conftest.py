"""A SQLite store and a hand-moved clock for the ops tests (the store tests cover PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fleetops.store import Store
from fleetops.testing.fake_clock import FakeClock
from fleetops.testing.store_template import put_migrated_store

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    put_migrated_store(tmp_path)  # a copy: migrating a new store per test costs ~0.07 s of CPU
    with Store.open(None, tmp_path) as store:
        yield store


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)
