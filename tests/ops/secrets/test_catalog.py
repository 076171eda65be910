"""``secrets list``: declared and stored secrets, with the next rotation their schedule makes due."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fleetops.ops.secrets.catalog import list_secrets
from fleetops.ops.secrets.cipher import Cipher
from fleetops.ops.secrets.vault import SecretsVault
from fleetops.spec.loader import load_fleet
from fleetops.store import Store
from fleetops.testing.fake_clock import FakeClock
from fleetops.testing.local import EXAMPLES

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(f"sqlite:///{tmp_path / 'fleetops.db'}", tmp_path) as opened:
        yield opened


def test_next_rotation_is_due_every_after_the_current_version(store: Store, tmp_path: Path) -> None:
    vault = SecretsVault(store, Cipher.from_state_dir(tmp_path), clock=FakeClock(T0))
    fleet = load_fleet(EXAMPLES / "fleet.yaml")
    vault.put("dev", "db-password", "db-password-value-1", by="alice")
    vault.put("dev", "hand-made", "hand-made-value-22", by="alice")
    listed = list_secrets(store, fleet, "dev", now=T0 + timedelta(days=31))
    assert [(s.name, s.declared, s.guards, s.versions, s.next_rotation, s.overdue) for s in listed] == [
        ("db-password", True, "orders-db", 1, T0 + timedelta(days=30), True),
        ("hand-made", False, None, 1, None, False),
        ("payments-api-key", True, None, 0, None, False),
        ("session-signing-key", True, None, 0, None, False),
    ]
