"""The environment-failover drill runbook on the engine with a fake clock, acting through a fake
failover port: the order of its steps and its figures, and a standby that does not start, after
which the primary is started again. The real failover runs end to end in
tests/cli/test_drill_failover.py."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

from fleetops.engine import ExecutionResult, ExecutionStatus
from fleetops.errors import FleetopsError
from fleetops.ops.drills.report import ClientCounts
from fleetops.runbooks.ports import StandbyRelease
from fleetops.runbooks.wiring import register_handlers
from fleetops.spec.loader import load_fleet_text
from fleetops.store import Store
from fleetops.store.backups import Backup
from fleetops.testing.fake_clock import FakeClock
from fleetops.testing.runbooks import T0, RunbookWorld

FLEET = """
name: shop
environments:
  dev: {provider: local}
  dr: {provider: local, standby_for: dev}
services:
  api:
    run: {command: "{python} api.py", port: 8123}
    datastores: [db]
datastores:
  db: {kind: postgres, connection: "postgresql://api@localhost:5432/api", environments: [dev, dr]}
drills: {rto: 1m, rpo: 1h}
"""
BACKUP_AGE = timedelta(minutes=20)
STAMP = T0 - BACKUP_AGE - timedelta(milliseconds=300)


@dataclass
class FakeFailover:
    """Two environments: the primary running, the standby healthy 30 s after it starts (or
    never starting)."""

    clock: FakeClock
    standby_starts: bool = True
    primary: str = "dev"
    standby: str = "dr"
    calls: list[str] = field(default_factory=list)
    running: set[str] = field(default_factory=lambda: {"dev"})
    started_at: datetime | None = None

    def primary_running(self) -> bool:
        return self.primary in self.running

    def standby_running(self) -> bool:
        return self.standby in self.running

    def releases(self) -> list[StandbyRelease]:
        return [StandbyRelease("api", "v7", 2)]

    def latest_verified_backup(self, datastore: str) -> Backup | None:
        return Backup(
            "bk-1", "dev", datastore, "postgres", T0 - BACKUP_AGE, 100, "/x", 1, "0" * 64, "pg_dump", "15",
            "lsn:0/1", {"public.items": 3}, verify_status="verified",
        )  # fmt: skip

    def start_client(self, key: str, urls: list[str]) -> None:
        self.calls.append(f"client on {', '.join(urls)}")

    def stop_client(self, key: str) -> ClientCounts | None:
        self.calls.append("client stopped")
        return ClientCounts(90, 30, None, None)

    def stop_primary(self) -> None:
        self.running.discard(self.primary)
        self.calls.append("dev stopped")

    def start_primary(self) -> None:
        self.running.add(self.primary)
        self.calls.append("dev started")

    def start_standby(self, drill: str, releases: list[StandbyRelease], backups: dict[str, str]) -> None:
        if not self.standby_starts:
            raise FleetopsError("environment 'dr' did not start: port 8123 is in use")
        self.running.add(self.standby)
        self.started_at = self.clock.now()
        wanted = ", ".join(f"{r.service} {r.version} x{r.desired}" for r in releases)
        self.calls.append(f"dr started at {wanted}, restored {backups}")

    def waiting_for(self, urls: list[str]) -> str | None:
        assert self.started_at is not None
        if self.clock.now() - self.started_at < timedelta(seconds=30):
            return "api: 0/2 healthy"
        return None

    def mark_verified(self, drill: str) -> None:
        self.calls.append(f"releases of {drill} verified")

    def newest_stamp(self, datastore: str) -> datetime | None:
        return STAMP

    def resume_heartbeat(self, datastores: list[str]) -> None:
        self.calls.append(f"heartbeat of {', '.join(datastores)} resumed")


def _drill(tmp_path: Path, *, standby_starts: bool = True) -> tuple[ExecutionResult, FakeFailover]:
    fleet = load_fleet_text(FLEET)

    async def scenario() -> tuple[ExecutionResult, FakeFailover]:
        with Store.open(None, tmp_path) as store:
            world = RunbookWorld.make(store, fleet, environments=["dev"])
            port = FakeFailover(world.clock, standby_starts=standby_starts)
            deps = replace(world.deps, failover_drills=lambda _primary, _standby: port)
            register_handlers(world.registry, deps)
            payload = {"environment": "dev", "scenario": "environment-failover", "requested_by": "tester"}
            result = await world.run(
                "drill-environment-failover", payload, name="drill-environment-failover-dev-1"
            )
            return result, port

    return asyncio.run(scenario())


def test_the_standby_is_brought_up_from_the_primarys_releases_and_backups(tmp_path: Path) -> None:
    result, port = _drill(tmp_path)
    assert result.status == ExecutionStatus.SUCCEEDED
    report = result.output
    assert (report["outcome"], report["standby"], report["entry_points"], report["primary"]) == (
        "met",
        "dr",
        {"api": 8123},
        None,
    )
    assert port.started_at is not None
    outage = datetime.fromisoformat(report["outage_at"])
    healthy = datetime.fromisoformat(report["healthy_at"])
    assert healthy - port.started_at >= timedelta(seconds=30)
    assert report["rto"]["seconds"] == round((healthy - outage).total_seconds(), 3)
    assert (report["rpo"]["seconds"], report["rpo"]["from"]) == (
        round((outage - STAMP).total_seconds(), 3),
        "heartbeat",
    )
    assert port.calls == [
        "client on http://127.0.0.1:8123/health",
        "dev stopped",
        "dr started at api v7 x2, restored {'db': 'bk-1'}",
        "releases of drill-environment-failover-dev-1 verified",
        "heartbeat of db resumed",
        "client stopped",
    ]


def test_a_standby_that_does_not_start_fails_the_drill_and_the_primary_comes_back(tmp_path: Path) -> None:
    result, port = _drill(tmp_path, standby_starts=False)
    assert (result.status, result.error) == (ExecutionStatus.FAILED, "fleetops.Failed")
    assert result.cause is not None
    assert result.cause.startswith("drill failed: fleetops.Failed: environment 'dr' did not start: port 8123")
    assert port.running == {"dev"}
    assert port.calls[-3:] == ["heartbeat of db resumed", "client stopped", "dev started"]
