"""``RotationSchedule``: a secret is rotated once its AWSCURRENT version is ``every`` old; a
rotation missed during downtime runs at the first look; a refused start is tried again."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fleetops.control.rotation_schedule import RotationSchedule
from fleetops.errors import Refused
from fleetops.ops.secrets.cipher import Cipher
from fleetops.ops.secrets.rotation_rules import ROTATION_RULES
from fleetops.ops.secrets.vault import SecretsVault
from fleetops.spec.loader import load_fleet_text
from fleetops.store import Store
from fleetops.testing.fake_clock import FakeClock

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
FLEET = load_fleet_text(
    """
name: shop
environments: {dev: {provider: local}}
services:
  api: {run: {command: "{python} api.py"}, secrets: [monthly, quarterly, manual]}
secrets:
  monthly: {rotation: {every: 30d}}
  quarterly: {rotation: {every: 90d}}
  manual: {}
"""
)


def test_due_secrets_start_once_and_a_refused_start_is_tried_again(tmp_path: Path) -> None:
    with Store.open(None, tmp_path) as store:
        vault = SecretsVault(store, Cipher(b"k" * 32), clock=FakeClock(T0))
        for name in ("monthly", "quarterly", "manual"):
            vault.put("dev", name, f"{name}-value-0123456789", by="test")
        # The control plane was down when monthly fell due (day 30): its first look, on day 45,
        # starts it once.
        clock = FakeClock(T0 + timedelta(days=45))
        started: list[tuple[str, str]] = []
        refuse = [True]

        def start(environment: str, secret: str) -> object:
            if refuse[0]:
                raise Refused("environment 'dev' is locked")
            started.append((environment, secret))
            return None

        schedule = RotationSchedule(store, lambda: [("dev", FLEET)], start, clock, retry_after_s=3600)
        assert schedule.due() == [("dev", "monthly")]
        assert schedule.tick() == []  # refused: nothing recorded, the next look tries again
        refuse[0] = False
        assert schedule.tick() == [("dev", "monthly")]
        assert schedule.tick() == []  # started already: not again within retry_after
        # The rotation made a new AWSCURRENT version: monthly is due again only 30 days later.
        SecretsVault(store, Cipher(b"k" * 32), clock=clock).put(
            "dev", "monthly", "rotated-value-0123456789", by="x"
        )
        asyncio.run(clock.advance(timedelta(hours=2).total_seconds()))
        assert schedule.due() == []
        asyncio.run(clock.advance(timedelta(days=30).total_seconds()))
        assert schedule.due() == [("dev", "monthly")]
        assert started == [("dev", "monthly")]


def test_rules_set_through_rotate_secret_replace_the_fleet_files(tmp_path: Path) -> None:
    with Store.open(None, tmp_path) as store:
        vault = SecretsVault(store, Cipher(b"k" * 32), clock=FakeClock(T0))
        for name in ("monthly", "quarterly", "manual"):
            vault.put("dev", name, f"{name}-value-0123456789", by="test")
        schedule = RotationSchedule(
            store, lambda: [("dev", FLEET)], lambda *_: None, FakeClock(T0 + timedelta(days=10))
        )
        assert schedule.due() == []
        # Weekly for the manual one, and the monthly one no longer scheduled (RotateSecret's rules).
        for name, every_s in (("manual", 7 * 86400.0), ("monthly", None)):
            store.secrets.record(
                "dev", name, ROTATION_RULES, by="operator", at=T0, detail={"every_s": every_s}
            )
        assert schedule.due() == [("dev", "manual")]
