"""The execution service over a real store: runs, resumes after a crash, names its machines."""

from __future__ import annotations

import asyncio
import copy
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from fleetops.control import ExecutionService, InvalidName
from fleetops.engine import ExecutionStatus
from fleetops.errors import Refused
from fleetops.store import Store
from fleetops.testing.waiting import wait_until_async

DEFINITION: dict[str, Any] = {
    "StartAt": "Fanout",
    "States": {
        "Fanout": {
            "Type": "Map",
            "ItemsPath": "$.services",
            "MaxConcurrency": 1,
            "ItemProcessor": {
                "StartAt": "Deploy",
                "States": {"Deploy": {"Type": "Task", "Resource": "fleetops:deploy", "End": True}},
            },
            "ResultPath": "$.deployed",
            "End": True,
        }
    },
}
INPUT = {"services": ["a", "b", "c", "d"]}
OUTPUT = {"services": ["a", "b", "c", "d"], "deployed": [{"service": s} for s in "abcd"]}


class Deploys:
    """A handler counting its calls; deploys of ``hang`` never return."""

    def __init__(self, hang: str = "") -> None:
        self.calls: Counter[str] = Counter()
        self.hang = hang

    async def deploy(self, service: str) -> dict[str, Any]:
        self.calls[service] += 1
        if service == self.hang:
            await asyncio.Event().wait()
        return {"service": service}


def _service(store: Store, deploys: Deploys, owner: str = "a") -> ExecutionService:
    service = ExecutionService(store, owner=owner, renew_seconds=0.05)
    service.registry.register("fleetops:deploy", deploys.deploy)
    return service


@pytest.mark.parametrize("mode", ["INLINE", "DISTRIBUTED"])
def test_a_crashed_run_resumes_from_the_store(store: Store, mode: str) -> None:
    definition = copy.deepcopy(DEFINITION)
    definition["States"]["Fanout"]["ItemProcessor"]["ProcessorConfig"] = {"Mode": mode}

    async def scenario() -> tuple[Any, Counter[str], Counter[str]]:
        first_deploys, second_deploys = Deploys(hang="c"), Deploys()
        first = _service(store, first_deploys)
        await first.start()
        machine = first.machines.create("deploy", json.dumps(definition))
        arn = first.start_execution(machine.arn, INPUT, name="d-1").arn
        await wait_until_async(lambda: first_deploys.calls["c"] == 1, what="the deploy of c")
        await first.abandon()

        second = _service(store, second_deploys)  # the same server, restarted
        await second.start()
        result = await second.wait(arn)
        await second.close()
        return result.output, first_deploys.calls, second_deploys.calls

    output, first_calls, second_calls = asyncio.run(scenario())
    assert output == OUTPUT
    assert first_calls == Counter({"a": 1, "b": 1, "c": 1})
    assert second_calls == Counter({"c": 1, "d": 1})


def test_a_peer_takes_over_only_once_the_lease_expired(store: Store) -> None:
    async def scenario() -> tuple[frozenset[str], ExecutionStatus, Counter[str]]:
        first_deploys, second_deploys = Deploys(hang="b"), Deploys()
        first = ExecutionService(store, owner="a", lease_seconds=0.5, renew_seconds=10)
        first.registry.register("fleetops:deploy", first_deploys.deploy)
        await first.start()
        machine = first.machines.create("deploy", json.dumps(DEFINITION))
        arn = first.start_execution(machine.arn, INPUT).arn
        await wait_until_async(lambda: first_deploys.calls["b"] == 1, what="the deploy of b")
        await first.abandon()  # dies holding the lease

        second = _service(store, second_deploys, owner="b")
        await second.start()
        before = second.running
        result = await second.wait(arn, poll_seconds=0.05)
        await second.close()
        return before, result.status, second_deploys.calls

    before, status, calls = asyncio.run(scenario())
    assert before == frozenset()
    assert status is ExecutionStatus.SUCCEEDED
    assert calls == Counter({"b": 1, "c": 1, "d": 1})


def test_an_execution_a_peer_runs_is_stopped_by_the_peer(store: Store) -> None:
    async def scenario() -> tuple[str, str | None]:
        first = _service(store, Deploys(hang="a"))
        await first.start()
        machine = first.machines.create("deploy", json.dumps(DEFINITION))
        arn = first.start_execution(machine.arn, INPUT).arn
        second = _service(store, Deploys(), owner="b")
        stopped = await second.stop_execution(arn, error="Ops", stop_wait_seconds=10)
        await first.close()
        return stopped.status, stopped.error

    assert asyncio.run(scenario()) == ("ABORTED", "Ops")


def test_stopping_an_execution_a_dead_peer_holds_is_refused(store: Store) -> None:
    async def scenario() -> None:
        first = _service(store, Deploys(hang="a"))
        await first.start()
        machine = first.machines.create("deploy", json.dumps(DEFINITION))
        arn = first.start_execution(machine.arn, INPUT).arn
        await first.abandon()
        second = _service(store, Deploys(), owner="b")
        with pytest.raises(
            Refused, match=re.escape("runs on another server (a), which has not stopped it within 0.3 s")
        ):
            await second.stop_execution(arn, stop_wait_seconds=0.3)

    asyncio.run(scenario())


def test_ensure_state_machine_creates_updates_or_leaves_it(store: Store) -> None:
    service = ExecutionService(store)
    created = service.machines.ensure("deploy", DEFINITION)
    assert service.machines.ensure("deploy", DEFINITION) == created
    changed = copy.deepcopy(DEFINITION)
    changed["States"]["Fanout"]["MaxConcurrency"] = 2
    updated = service.machines.ensure("deploy", changed)
    assert (updated.revision, json.loads(updated.definition)) == (2, changed)


def test_a_bad_name_is_refused(tmp_path: Path) -> None:
    with Store.open(None, tmp_path) as store, pytest.raises(InvalidName, match="Invalid Name: 'a/b'"):
        ExecutionService(store).machines.create("a/b", json.dumps(DEFINITION))


def test_a_finished_execution_is_not_kept_in_memory(store: Store) -> None:
    async def scenario() -> tuple[frozenset[str], bool]:
        service = _service(store, Deploys())
        await service.start()
        machine = service.machines.create("deploy", json.dumps(DEFINITION))
        arn = service.start_execution(machine.arn, INPUT).arn
        await service.wait(arn)
        try:
            service.engine.execution(arn)
            kept = True
        except KeyError:
            kept = False
        await service.close()
        return service.running, kept

    assert asyncio.run(scenario()) == (frozenset(), False)


def test_each_resume_is_counted_until_the_execution_runs_a_lease_period_through(store: Store) -> None:
    async def scenario() -> tuple[int, int, int]:
        first_deploys = Deploys(hang="a")
        first = ExecutionService(store, owner="a", lease_seconds=0.5, renew_seconds=0.05)
        first.registry.register("fleetops:deploy", first_deploys.deploy)
        await first.start()
        machine = first.machines.create("deploy", json.dumps(DEFINITION))
        arn = first.start_execution(machine.arn, INPUT).arn
        await wait_until_async(lambda: first_deploys.calls["a"] == 1, what="the deploy of a")
        started = store.executions.get(arn).resumes
        await first.abandon()  # killed

        second = ExecutionService(store, owner="a", lease_seconds=0.5, renew_seconds=0.05)
        second.registry.register("fleetops:deploy", Deploys(hang="a").deploy)
        await second.start()  # the same server, restarted: resumes it
        resumed = store.executions.get(arn).resumes
        # Running half a second (its lease period) through: its resume is settled.
        await wait_until_async(lambda: store.executions.get(arn).resumes == 0, what="the count started over")
        await second.close()
        return started, resumed, store.executions.get(arn).resumes

    assert asyncio.run(scenario()) == (0, 1, 0)


def test_an_execution_started_from_another_thread_runs_on_the_services_loop(store: Store) -> None:
    """A route starts executions in a thread (its store round trips off the loop): the
    checks and the insert run there, the launch on the service's loop."""

    async def scenario() -> tuple[str, str, Any]:
        deploys = Deploys()
        service = _service(store, deploys)
        await service.start()
        machine = service.machines.create("deploy", json.dumps(DEFINITION))
        record = await asyncio.to_thread(service.start_execution, machine.arn, INPUT, name="from-a-thread")
        result = await service.wait(record.arn)
        stored = store.executions.get(record.arn).status
        await service.close()
        return stored, str(result.status), result.output

    assert asyncio.run(scenario()) == ("SUCCEEDED", "SUCCEEDED", OUTPUT)
