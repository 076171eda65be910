"""Durable resume: a new runner given the definition and the journal continues where the old
one stopped. Completed tasks are not called again, a task in flight is called again, a Wait
keeps its due time, finished Map iterations are not redone."""

from __future__ import annotations

import asyncio
import copy
from collections import Counter
from typing import Any

from fleetops.engine import Engine, ExecutionStatus, InMemoryJournal, Registry
from fleetops.testing.fake_clock import FakeClock

DEFINITION = {
    "StartAt": "Fanout",
    "States": {
        "Fanout": {
            "Type": "Map",
            "ItemsPath": "$.services",
            "MaxConcurrency": 2,
            "ItemProcessor": {
                "StartAt": "Deploy",
                "States": {"Deploy": {"Type": "Task", "Resource": "fleetops:deploy", "End": True}},
            },
            "ResultPath": "$.deployed",
            "Next": "Bake",
        },
        "Bake": {"Type": "Wait", "Seconds": 300, "Next": "Finish"},
        "Finish": {"Type": "Task", "Resource": "fleetops:finish", "ResultPath": "$.finished", "End": True},
    },
}
INPUT = {"services": ["a", "b", "c"]}
OUTPUT = {
    "services": ["a", "b", "c"],
    "deployed": [
        {"service": "a", "release": 1},
        {"service": "b", "release": 1},
        {"service": "c", "release": 1},
    ],
    "finished": "ok",
}


class Handlers:
    """Handlers that count their calls; ``hang`` makes deploys of those services never return."""

    def __init__(self, hang: frozenset[str] = frozenset()) -> None:
        self.calls: Counter[str] = Counter()
        self.hang = hang
        self.registry = Registry()
        self.registry.register("fleetops:deploy", self.deploy)
        self.registry.register("fleetops:finish", self.finish)

    async def deploy(self, service: str) -> dict[str, Any]:
        self.calls[service] += 1
        if service in self.hang:
            await asyncio.Event().wait()
        return {"service": service, "release": 1}

    async def finish(self, payload: Any) -> str:
        self.calls["finish"] += 1
        return "ok"


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0.005)


def test_resume_after_a_crash_in_the_middle_of_a_map() -> None:
    async def scenario() -> tuple[Any, Counter[str], Counter[str]]:
        clock = FakeClock()
        first = Handlers(hang=frozenset({"c"}))
        handle = Engine(first.registry, clock=clock).start_execution(DEFINITION, INPUT, name="deploy-7")
        await settle()
        handle.abandon()  # the process dies while "c" is deploying
        await settle()
        journal = InMemoryJournal(handle.history())

        second = Handlers()
        resumed = Engine(second.registry, clock=clock).resume_execution(DEFINITION, journal)
        await settle()
        await clock.advance(300)
        result = await resumed.result()
        assert resumed.execution_arn == handle.execution_arn
        return result.output, first.calls, second.calls

    output, first_calls, second_calls = asyncio.run(scenario())
    assert output == OUTPUT
    assert first_calls == Counter({"a": 1, "b": 1, "c": 1})
    assert second_calls == Counter({"c": 1, "finish": 1})


def test_resume_during_a_wait_keeps_its_due_time() -> None:
    async def scenario() -> tuple[list[ExecutionStatus], Counter[str], float]:
        clock = FakeClock()
        start = clock.now()
        first = Handlers()
        handle = Engine(first.registry, clock=clock).start_execution(DEFINITION, INPUT, name="deploy-8")
        await settle()
        await clock.advance(100)
        handle.abandon()
        await settle()
        assert [e.type for e in handle.history()][-1] == "WaitStateEntered"

        second = Handlers()
        resumed = Engine(second.registry, clock=clock).resume_execution(
            DEFINITION, InMemoryJournal(handle.history())
        )
        await settle()
        await clock.advance(199)
        statuses = [resumed.status]
        await clock.advance(1)
        result = await resumed.result()
        statuses.append(result.status)
        assert result.output == OUTPUT
        return statuses, second.calls, (clock.now() - start).total_seconds()

    statuses, calls, elapsed = asyncio.run(scenario())
    assert statuses == [ExecutionStatus.RUNNING, ExecutionStatus.SUCCEEDED]
    assert calls == Counter({"finish": 1})
    assert elapsed == 300.0


def test_resuming_a_finished_execution_returns_its_result_without_running_anything() -> None:
    async def scenario() -> tuple[Any, Counter[str], int]:
        clock = FakeClock(auto_advance=True)
        first = Handlers()
        handle = Engine(first.registry, clock=clock).start_execution(DEFINITION, INPUT)
        await handle.result()
        second = Handlers()
        journal = InMemoryJournal(handle.history())
        result = await Engine(second.registry, clock=clock).resume_execution(DEFINITION, journal).result()
        return result.output, second.calls, len(journal.events()) - len(handle.history())

    assert asyncio.run(scenario()) == (OUTPUT, Counter(), 0)


DEPLOY = {"Type": "Task", "Resource": "fleetops:deploy", "End": True}


def test_resume_a_parallel_branch_in_flight() -> None:
    definition = {
        "StartAt": "Both",
        "States": {
            "Both": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "A", "States": {"A": {**DEPLOY, "InputPath": "$.first"}}},
                    {"StartAt": "C", "States": {"C": {**DEPLOY, "InputPath": "$.second"}}},
                ],
                "End": True,
            }
        },
    }

    async def scenario() -> tuple[Any, Counter[str]]:
        clock = FakeClock()
        first = Handlers(hang=frozenset({"c"}))
        handle = Engine(first.registry, clock=clock).start_execution(
            definition, {"first": "a", "second": "c"}
        )
        await settle()
        handle.abandon()
        await settle()
        journal = InMemoryJournal(handle.history())
        second = Handlers()
        result = await Engine(second.registry, clock=clock).resume_execution(definition, journal).result()
        return result.output, second.calls

    output, calls = asyncio.run(scenario())
    assert output == [{"service": "a", "release": 1}, {"service": "c", "release": 1}]
    assert calls == Counter({"c": 1})


def test_resume_a_distributed_map_from_its_map_run_journal() -> None:
    definition = copy.deepcopy(DEFINITION)
    definition["States"]["Fanout"]["ItemProcessor"]["ProcessorConfig"] = {"Mode": "DISTRIBUTED"}
    journals: dict[str, InMemoryJournal] = {}

    def factory(arn: str) -> InMemoryJournal:
        return journals.setdefault(arn, InMemoryJournal())

    async def scenario() -> tuple[Any, Counter[str]]:
        clock = FakeClock()
        first = Handlers(hang=frozenset({"c"}))
        handle = Engine(first.registry, clock=clock, journal_factory=factory).start_execution(
            definition, INPUT
        )
        await settle()
        handle.abandon()
        await settle()
        second = Handlers()
        resumed = Engine(second.registry, clock=clock, journal_factory=factory).resume_execution(
            definition, handle.journal
        )
        await settle()
        await clock.advance(300)
        return (await resumed.result()).output, second.calls

    output, calls = asyncio.run(scenario())
    assert output == OUTPUT
    assert calls == Counter({"c": 1, "finish": 1})
