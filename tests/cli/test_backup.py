"""``fleetops backup create / list / verify`` on the running example, orders-db on PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from fleetops.testing.example import NotificationSinks, single_instances
from fleetops.testing.server import run_cli

from .conftest import restaurant_on_postgres

pytestmark = [pytest.mark.haproxy, pytest.mark.slow]


@pytest.fixture
def restaurant(tmp_path: Path, sinks: NotificationSinks) -> Path:
    """The example on PostgreSQL, every service on one instance: a backup reads orders-db,
    whatever the capacity of the services in front of it (six instances to start, not eleven)."""
    folder = restaurant_on_postgres(tmp_path, sinks)
    fleet_file = folder / "fleet.yaml"
    fleet_file.write_text(single_instances(fleet_file.read_text()))
    return folder


def test_a_backup_of_orders_is_catalogued_verified_and_a_flipped_byte_fails(restaurant: Path) -> None:
    try:
        up = run_cli(["up", "-o", "json"], cwd=restaurant, timeout=180)
        assert up.returncode == 0, up.stderr
        orders = next(s["endpoint"] for s in json.loads(up.stdout)["services"] if s["name"] == "orders")
        for user in ("ann", "bob", "cy"):
            created = httpx.post(orders + "/orders", json={"user": user, "items": [1]}, timeout=10)
            assert created.status_code == 201, created.text

        made = run_cli(["backup", "create", "orders-db", "-o", "json"], cwd=restaurant, timeout=120)
        assert made.returncode == 0, made.stderr
        backup = json.loads(made.stdout)
        location = Path(backup["location"])
        assert (backup["datastore"], backup["environment"], backup["contents"]) == (
            "orders-db",
            "dev",
            {"public.orders": 3},
        )
        assert location.parent == restaurant / ".fleetops" / "envs" / "dev" / "backups" / "orders-db"
        assert backup["size_bytes"] == location.stat().st_size
        assert backup["source_position"].startswith("lsn:") and backup["verify_status"] is None

        listed = json.loads(run_cli(["backup", "list", "-o", "json"], cwd=restaurant).stdout)
        # The schedule (backup: {every: 1h, ...}) may have taken one too, tagged scheduled.
        assert [b["backup_id"] for b in listed if b["tag"] is None] == [backup["backup_id"]]

        verified = run_cli(["backup", "verify", "--latest"], cwd=restaurant, timeout=180)
        assert verified.returncode == 0, verified.stderr
        assert f"{backup['backup_id']} (orders-db): verified in " in verified.stdout
        assert (
            "restored 1 tables, 3 rows, as at backup time; pg_amcheck found no corruption" in verified.stdout
        )

        data = bytearray(location.read_bytes())
        data[len(data) // 2] ^= 0x01
        location.write_bytes(bytes(data))
        damaged = run_cli(
            ["backup", "verify", backup["backup_id"], "-o", "json"], cwd=restaurant, timeout=180
        )
        assert damaged.returncode == 1
        outcome = json.loads(damaged.stdout)
        assert outcome["verify_status"] == "failed"
        assert outcome["verify_detail"].startswith("checksum mismatch: the file's sha256 is ")
        assert outcome["verify_detail"].endswith("the file is damaged and was not restored")
    finally:
        down = run_cli(["down"], cwd=restaurant, timeout=120)
    assert down.returncode == 0, down.stderr
