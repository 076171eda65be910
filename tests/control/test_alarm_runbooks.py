"""The runbooks an alarm starts: a rollback of its service through the deployments (from the
alarm actions' own thread onto the server's loop), a scale-out by one, each audited as the alarm."""

from __future__ import annotations

import asyncio
import json

from fleetops.control.alarm_runbooks import AlarmRunbooks
from fleetops.control.deployments import Deployments, machine_name
from fleetops.control.service import ExecutionService
from fleetops.spec.loader import load_fleet_text
from fleetops.spec.resources import AlarmRunbook
from fleetops.store import Store
from fleetops.store.audit import Outcome
from fleetops.testing.fake_clock import FakeClock
from fleetops.testing.fleet_runtime import InMemoryFleetRuntime

FLEET = """
name: shop
environments:
  dev: {provider: local}
services:
  menu:
    run: {command: "{python} services/x.py"}
    instances: {min: 1, desired: 2, max: 3}
    health: {path: /health, interval: 1s, timeout: 500ms, healthy_threshold: 2, unhealthy_threshold: 2}
    deploy: {warmup: 1s, bake_time: 5s, deregistration_delay: 1s, auto_rollback: false}
"""


def test_an_alarm_rolls_back_and_scales_out_its_service_audited(sqlite_store: Store) -> None:
    fleet = load_fleet_text(FLEET)
    runtime = InMemoryFleetRuntime(fleet, "dev")
    executions = ExecutionService(sqlite_store, clock=FakeClock(auto_advance=True))
    deployments = Deployments(executions, sqlite_store, runtime, fleet)
    deployments.register()
    runbooks = AlarmRunbooks(sqlite_store)
    runbooks.bind(deployments=deployments, environments=deployments.environments)
    start = runbooks.starter("dev")

    async def scenario() -> tuple[str, tuple[str | None, list[str]], list[str], str]:
        await executions.start()
        runbooks.bind(loop=asyncio.get_running_loop())
        # Alarm actions run on a thread of their own, as here. The scale-outs come first: the
        # rollback holds the environment's lock while it runs, which refuses an alarm's runbook.
        first = await asyncio.to_thread(start, AlarmRunbook.SCALE_OUT, "menu", "cpu-high", "CPU over 80")
        refused = ""
        try:
            await asyncio.to_thread(start, AlarmRunbook.SCALE_OUT, "menu", "cpu-high", "CPU over 80")
        except Exception as err:
            refused = str(err)
        said = await asyncio.to_thread(start, AlarmRunbook.ROLLBACK, "menu", "high-5xx", "5XX over 5")
        machine = executions.engine.state_machine_arn(machine_name("rollback"))
        # Started, by the alarm, for menu (the rollback runbook itself is tested on its own).
        [record] = sqlite_store.executions.list(machine, limit=10)
        started = (record.started_by, json.loads(record.input)["services"])
        await executions.close()
        return said, started, [said, first], refused

    said, started, outputs, refused = asyncio.run(scenario())
    assert said.startswith("rollback execution rollback-dev-"), said
    assert started == ("alarm:high-5xx", ["menu"])
    assert outputs[1] == "desired count of menu 2 -> 3"
    assert refused == "desired count 4 for 'menu' is outside its instances min..max (1..3)"
    entries = sqlite_store.audit.list(action="alarm.runbook")
    assert [(e.actor, e.target, e.arguments["runbook"], e.outcome) for e in reversed(entries)] == [
        ("alarm:cpu-high", "dev/menu", "scale-out", Outcome.SUCCESS),
        ("alarm:cpu-high", "dev/menu", "scale-out", Outcome.REFUSED),
        ("alarm:high-5xx", "dev/menu", "rollback", Outcome.SUCCESS),
    ]
