"""The drill runbooks on the engine with a fake clock, acting through a fake drill port: how a
datastore-loss drill ends when its targets are met, missed, or its restore fails, and what it
always puts back (the steady client stopped, the heartbeat resumed). The real outage, restore
and measurements run end to end in tests/cli/test_drill.py."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from fleetops.engine import ExecutionResult, ExecutionStatus
from fleetops.ops.drills.report import ClientCounts
from fleetops.runbooks.ports import ChildRun
from fleetops.runbooks.wiring import register_handlers
from fleetops.spec.loader import load_fleet_text
from fleetops.store import Store
from fleetops.store.backups import Backup
from fleetops.testing.fake_clock import FakeClock
from fleetops.testing.receivers import WebhookReceiver, webhook_receiver
from fleetops.testing.runbooks import T0, RunbookWorld

FLEET = """
name: shop
environments: {dev: {provider: local}}
services:
  api:
    run: {command: "{python} api.py"}
    datastores: [db]
    health: {path: /health, interval: 1s, timeout: 500ms, healthy_threshold: 2, unhealthy_threshold: 2}
datastores:
  db: {kind: postgres, connection: "postgresql://api@localhost:5432/api"}
drills: {rto: 1m, rpo: RPO, data_path: /items}
notifications:
  chat: {type: webhook, url: URL, events: ["drill.*"]}
"""
BACKUP_AGE = timedelta(minutes=20)


@dataclass
class FakeDrills:
    """The drill port: the datastore's backup and the stamp it leaves, the restore's outcome."""

    clock: FakeClock
    restore_status: str = "SUCCEEDED"
    environment: str = "dev"
    calls: list[str] = field(default_factory=list)
    outage_at: datetime | None = None

    def users(self, datastore: str) -> list[str]:
        return ["api"]

    def kind(self, datastore: str) -> str:
        return "postgres"

    def latest_verified_backup(self, datastore: str) -> Backup | None:
        return Backup(
            "bk-1", "dev", datastore, "postgres", T0 - BACKUP_AGE, 100, "/x", 1, "0" * 64, "pg_dump", "15",
            "lsn:0/1", {"public.items": 3}, verify_status="verified",
        )  # fmt: skip

    def client_urls(self, services: list[str], path: str | None) -> list[str]:
        return [f"http://127.0.0.1:9/{service}{path}" for service in services]

    def start_client(self, key: str, urls: list[str]) -> None:
        self.calls.append(f"client on {', '.join(urls)}")

    def stop_client(self, key: str) -> ClientCounts | None:
        self.calls.append("client stopped")
        return ClientCounts(100, 12, self.outage_at, self.outage_at)

    def destroy(self, datastore: str) -> None:
        self.outage_at = self.clock.now()
        self.calls.append(f"destroyed {datastore}")

    def newest_stamp(self, datastore: str) -> datetime | None:
        return T0 - BACKUP_AGE - timedelta(milliseconds=400)

    def resume_heartbeat(self, datastore: str) -> None:
        self.calls.append("heartbeat resumed")

    def start_restore(
        self, name: str, datastore: str, backup_id: str, requested_by: str, poll_seconds: int
    ) -> None:
        self.calls.append(f"restore {backup_id} as {name}, a look every {poll_seconds}s")

    def restore_run(self, name: str) -> ChildRun:
        assert self.outage_at is not None
        if self.restore_status != "SUCCEEDED":
            return ChildRun(
                name, self.restore_status, "fleetops.VerifyFailed", "public.items: 0 rows, 3 in the backup"
            )
        return ChildRun(name, "SUCCEEDED", healthy_at=self.outage_at + timedelta(seconds=40))

    def waiting_for(self, service: str) -> str | None:
        return None

    def running_ids(self, service: str) -> list[str]:
        return []

    def kill_instances(self, service: str, count: int) -> list[str]:
        return []


@pytest.fixture
def hook() -> Any:
    with webhook_receiver() as receiver:
        yield receiver


def _drill(
    tmp_path: Path, hook: WebhookReceiver, *, rpo: str, restore: str = "SUCCEEDED"
) -> tuple[ExecutionResult, FakeDrills]:
    fleet = load_fleet_text(FLEET.replace("RPO", rpo).replace("URL", hook.url))

    async def scenario() -> tuple[ExecutionResult, FakeDrills]:
        with Store.open(None, tmp_path) as store:
            world = RunbookWorld.make(store, fleet, environments=["dev"])
            drills = FakeDrills(world.clock, restore_status=restore)
            register_handlers(world.registry, replace(world.deps, drills=lambda _environment: drills))
            payload = {"environment": "dev", "scenario": "datastore-loss", "requested_by": "tester"}
            result = await world.run("drill-datastore-loss", payload, name="drill-datastore-loss-dev-1")
            return result, drills

    return asyncio.run(scenario())


def _titles(hook: WebhookReceiver) -> list[str]:
    return [str(body["text"]).splitlines()[0] for body in hook.bodies]


def test_a_drill_within_its_targets_succeeds_with_its_report(tmp_path: Path, hook: WebhookReceiver) -> None:
    result, drills = _drill(tmp_path, hook, rpo="1h")
    assert result.status == ExecutionStatus.SUCCEEDED
    report = result.output
    assert (report["outcome"], report["backup_id"], report["restore_execution"]) == (
        "met",
        "bk-1",
        "restore-drill-datastore-loss-dev-1",
    )
    assert (report["rto"]["seconds"], report["rto"]["met"]) == (40.0, True)
    outage = drills.outage_at
    assert outage is not None
    expected_rpo = (outage - (T0 - BACKUP_AGE - timedelta(milliseconds=400))).total_seconds()
    assert (report["rpo"]["seconds"], report["rpo"]["from"]) == (round(expected_rpo, 3), "heartbeat")
    assert report["client"]["failed"] == 12
    assert drills.calls == [
        "client on http://127.0.0.1:9/api/items",
        "destroyed db",
        "restore bk-1 as restore-drill-datastore-loss-dev-1, a look every 1s",
        "heartbeat resumed",
        "client stopped",
    ]
    assert [t.split(" (")[0].split(" after ")[0] for t in _titles(hook)] == [
        "dev: drill started",
        "dev: drill completed",
    ]


def test_a_missed_rpo_fails_the_drill_and_says_so(tmp_path: Path, hook: WebhookReceiver) -> None:
    result, _drills = _drill(tmp_path, hook, rpo="10m")
    assert (result.status, result.error) == (ExecutionStatus.FAILED, "fleetops.DrillTargetMissed")
    assert result.cause is not None and result.cause.startswith("RTO 40.0s (target 1m): met; RPO ")
    assert result.cause.endswith("s (target 10m): MISSED")
    assert [t.split(" after ")[0] for t in _titles(hook)][1] == "dev: drill missed its targets"


def test_a_failed_restore_fails_the_drill_and_puts_the_heartbeat_and_client_back(
    tmp_path: Path, hook: WebhookReceiver
) -> None:
    result, drills = _drill(tmp_path, hook, rpo="1h", restore="FAILED")
    assert (result.status, result.error) == (ExecutionStatus.FAILED, "fleetops.RestoreFailed")
    assert result.cause == (
        "drill failed: fleetops.RestoreFailed: restore restore-drill-datastore-loss-dev-1 ended FAILED: "
        "fleetops.VerifyFailed public.items: 0 rows, 3 in the backup; "
        "RTO not measured (target 1m): MISSED; RPO not measured (target 1h): MISSED"
    )
    assert drills.calls[-2:] == ["heartbeat resumed", "client stopped"]
    assert [t.split(" after ")[0] for t in _titles(hook)][1] == "dev: drill failed"


@dataclass
class FakeScratch:
    """A scratch copy another drill runs already."""

    name: str = "dev-scratch"
    calls: list[str] = field(default_factory=list)

    def running(self) -> bool:
        return True

    def start(self, drill: str) -> None:
        self.calls.append("started")

    def waiting_for(self) -> str | None:
        return None

    def discard(self) -> None:
        self.calls.append("discarded")


def test_a_scratch_drill_is_refused_while_another_ones_copy_runs(
    tmp_path: Path, hook: WebhookReceiver
) -> None:
    fleet = load_fleet_text(FLEET.replace("RPO", "1h").replace("URL", hook.url))
    scratch = FakeScratch()

    async def scenario() -> ExecutionResult:
        with Store.open(None, tmp_path) as store:
            world = RunbookWorld.make(store, fleet, environments=["dev"])
            drills = FakeDrills(world.clock)
            deps = replace(
                world.deps, drills=lambda _environment: drills, scratch_copies=lambda _env: scratch
            )
            register_handlers(world.registry, deps)
            payload = {
                "environment": "dev",
                "scenario": "datastore-loss",
                "scratch": True,
                "requested_by": "t",
            }
            return await world.run("drill-datastore-loss", payload, name="drill-datastore-loss-dev-2")

    result = asyncio.run(scenario())
    assert (result.status, result.error) == (ExecutionStatus.FAILED, "fleetops.BadInput")
    assert result.cause == (
        "the scratch copy dev-scratch of 'dev' runs already (another scratch drill): wait for its end "
        "(fleetops drill list)"
    )
    assert scratch.calls == []
