"""State transitions per second: fleetops' engine (in memory, and durable on SQLite) against
moto's Step Functions interpreter, on the same Pass-, Choice- and Map-heavy workflows, in one run.

    .venv/bin/python bench/engine.py [--runs 20]

A transition is a state entered (a ``*StateEntered`` event). Executions run one after another;
each figure is transitions / wall time from StartExecution to the execution's end. Durable
means what the server does: every event written to the store (SQLite, WAL, in a temp dir)
before the execution is reported finished.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
from moto import mock_aws

from fleetops.control import ExecutionService
from fleetops.engine import Engine, ExecutionStatus, Registry, parse_definition
from fleetops.store import Store

ROLE_ARN = "arn:aws:iam::123456789012:role/bench"


def pass_chain(length: int = 50) -> dict[str, Any]:
    """``length`` Pass states in a row, each adding to its input."""
    states = {
        f"P{i}": {
            "Type": "Pass",
            "Parameters": {"step": i, "prev.$": "$.step"},
            **({"Next": f"P{i + 1}"} if i < length - 1 else {"End": True}),
        }
        for i in range(length)
    }
    return {"StartAt": "P0", "States": states}


def choice_loop(rounds: int = 30) -> dict[str, Any]:
    """A counter: Choice tests it, Pass increments it, ``rounds`` times."""
    return {
        "StartAt": "Init",
        "States": {
            "Init": {"Type": "Pass", "Result": {"count": 0}, "Next": "Check"},
            "Check": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.count", "NumericLessThan": rounds, "Next": "Inc"}],
                "Default": "Done",
            },
            "Inc": {"Type": "Pass", "Parameters": {"count.$": "States.MathAdd($.count, 1)"}, "Next": "Check"},
            "Done": {"Type": "Succeed"},
        },
    }


def map_fanout(items: int = 20) -> dict[str, Any]:
    """A Map over ``items`` items, three Pass states per item, then a Pass."""
    return {
        "StartAt": "Items",
        "States": {
            "Items": {"Type": "Pass", "Result": list(range(items)), "Next": "Each"},
            "Each": {
                "Type": "Map",
                "ItemProcessor": {
                    "StartAt": "A",
                    "States": {
                        "A": {"Type": "Pass", "Parameters": {"v.$": "$"}, "Next": "B"},
                        "B": {"Type": "Pass", "Parameters": {"w.$": "$.v"}, "Next": "C"},
                        "C": {"Type": "Pass", "End": True},
                    },
                },
                "Next": "End",
            },
            "End": {"Type": "Pass", "End": True},
        },
    }


WORKFLOWS: dict[str, Callable[[], dict[str, Any]]] = {
    "pass-chain": pass_chain,
    "choice-loop": choice_loop,
    "map-fanout": map_fanout,
}


def transitions_of(definition: dict[str, Any]) -> tuple[int, Any]:
    """States entered by one run (in memory), and its output."""

    async def run() -> tuple[int, Any]:
        handle = Engine(Registry()).start_execution(definition, {"step": -1})
        result = await handle.result()
        return sum(e.type.endswith("StateEntered") for e in handle.history()), result.output

    return asyncio.run(run())


def bench_memory(definition: dict[str, Any], runs: int, concurrency: int) -> float:
    """Seconds for ``runs`` executions (``concurrency`` at a time), history in memory."""

    async def run() -> float:
        engine = Engine(Registry())
        machine = parse_definition(definition)

        async def one() -> None:
            result = await engine.start_execution(machine, {"step": -1}).result()
            assert result.status is ExecutionStatus.SUCCEEDED

        start = time.perf_counter()
        for _ in range(0, runs, concurrency):
            await asyncio.gather(*(one() for _ in range(concurrency)))
        return time.perf_counter() - start

    return asyncio.run(run())


def bench_durable(
    definition: dict[str, Any], runs: int, concurrency: int, state_dir: Path
) -> tuple[float, int, int]:
    """Seconds for ``runs`` executions (``concurrency`` at a time) through the server's
    ExecutionService on SQLite; and the transactions and events written."""

    async def run() -> tuple[float, int, int]:
        with Store.open(None, state_dir) as store:
            service = ExecutionService(store)
            await service.start()
            machine = service.machines.create("bench", json.dumps(definition))

            async def one(n: int) -> None:
                record = service.start_execution(machine.arn, {"step": -1}, name=f"run-{n}")
                result = await service.wait(record.arn)
                assert result.status is ExecutionStatus.SUCCEEDED

            start = time.perf_counter()
            for first in range(0, runs, concurrency):
                await asyncio.gather(*(one(first + k) for k in range(concurrency)))
            elapsed = time.perf_counter() - start
            await service.close()
            return elapsed, service.writer.transactions, service.writer.events_written

    return asyncio.run(run())


def bench_moto(definition: dict[str, Any], runs: int, concurrency: int, expected: Any) -> float:
    """Seconds for ``runs`` executions (``concurrency`` at a time: moto runs each in a thread)
    in moto's interpreter.

    Timed by moto's own startDate/stopDate (first start to last stop of each batch), and polled
    gently: a busy poll would take the GIL from moto's worker threads and understate moto.
    """
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        client = boto3.client("stepfunctions", region_name="us-east-1")
        arn = client.create_state_machine(name="bench", definition=json.dumps(definition), roleArn=ROLE_ARN)[
            "stateMachineArn"
        ]
        elapsed = 0.0
        for first in range(0, runs, concurrency):
            # (moto 5.2.5 names an unnamed execution "None", so the second one would clash)
            started = [
                client.start_execution(stateMachineArn=arn, name=f"run-{first + k}", input='{"step": -1}')[
                    "executionArn"
                ]
                for k in range(concurrency)
            ]
            ended = []
            for execution in started:
                while (described := client.describe_execution(executionArn=execution))["status"] == "RUNNING":
                    time.sleep(0.01)
                assert described["status"] == "SUCCEEDED", described
                assert json.loads(described["output"]) == expected
                ended.append(described)
            first_start = min(d["startDate"] for d in ended)
            last_stop = max(d["stopDate"] for d in ended)
            elapsed += (last_stop - first_start).total_seconds()
        return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=24, help="executions per workflow and engine")
    parser.add_argument("--repeat", type=int, default=5, help="rounds per figure; the best is kept")
    parser.add_argument(
        "--concurrency", type=int, nargs="+", default=[1, 8], help="executions at once (one round per value)"
    )
    args = parser.parse_args()
    print(
        f"{args.runs} executions per workflow, best of {args.repeat} rounds; "
        "transitions (states entered) per second"
    )
    print(
        f"{'workflow':<12} {'at once':>7} {'transitions':>11} {'memory/s':>9} {'durable/s':>9} {'moto/s':>7} "
        f"{'durable÷moto':>12} {'memory÷moto':>11} {'events/txn':>10}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for concurrency in args.concurrency:
            for name, make in WORKFLOWS.items():
                definition = make()
                transitions, output = transitions_of(definition)
                total = transitions * args.runs
                # The best of several rounds, the three engines taking turns within each round:
                # the machine is shared, noise only ever slows, and a burst then hits all three.
                memories, durables, motos = [], [], []
                for n in range(args.repeat):
                    memories.append(bench_memory(definition, args.runs, concurrency))
                    state_dir = Path(tmp) / f"{name}-{concurrency}-{n}"
                    durables.append(bench_durable(definition, args.runs, concurrency, state_dir))
                    motos.append(bench_moto(definition, args.runs, concurrency, output))
                seconds, transactions, events = min(durables)
                memory, durable, moto = total / min(memories), total / seconds, total / min(motos)
                figures = f"{memory:>9.0f} {durable:>9.0f} {moto:>7.0f}"
                ratios = f"{durable / moto:>11.1f}x {memory / moto:>10.1f}x {events / transactions:>10.1f}"
                print(f"{name:<12} {concurrency:>7} {transitions:>11} {figures} {ratios}")


if __name__ == "__main__":
    main()
