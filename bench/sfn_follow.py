"""Following an execution on Step Functions (``orchestrator: aws-stepfunctions``): what one poll
of ``fleetops deploy --wait`` costs the control plane in GetExecutionHistory.

An execution of ``--items`` Pass iterations (an inline Map: about four events each) runs on a
served fleetops app (the Step Functions endpoint); then its history is read the way the control
plane reads it each second while following (``StepFunctionsRunbooks.events``: what was read
before is kept, only newer events are asked for, newest first), against a cold read of the
whole history (every page, as a follower without that memory would read it each second).

    .venv/bin/python bench/sfn_follow.py [--items 500] [--reads 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from fleetops.control.stepfunctions import StepFunctionsRunbooks, Target
from fleetops.runbooks.activities import ActivityNames
from fleetops.testing.api import api_harness
from fleetops.testing.sfn import ROLE_ARN, sfn_harness
from fleetops.testing.waiting import wait_until

MAP = {
    "StartAt": "M",
    "States": {
        "M": {
            "Type": "Map",
            "ItemsPath": "$.items",
            "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
            "End": True,
        }
    },
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=500)
    parser.add_argument("--reads", type=int, default=5)
    options = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as folder,
        api_harness(Path(folder)) as api,
        sfn_harness(api) as served,
    ):
        client = served.admin
        machine = client.create_state_machine(name="big", definition=json.dumps(MAP), roleArn=ROLE_ARN)
        arn = client.start_execution(
            stateMachineArn=machine["stateMachineArn"],
            input=json.dumps({"items": list(range(options.items))}),
        )["executionArn"]
        wait_until(lambda: client.describe_execution(executionArn=arn)["status"] != "RUNNING", timeout=300)
        target = Target("dev", ActivityNames("bench", "dev"), client)
        following = StepFunctionsRunbooks(lambda: None)
        whole = following.events(target, arn)  # the first poll reads it all
        polls, colds = [], []
        for _ in range(options.reads):
            started = time.perf_counter()
            assert following.events(target, arn) == whole
            polls.append(time.perf_counter() - started)
            started = time.perf_counter()
            assert StepFunctionsRunbooks(lambda: None).events(target, arn) == whole
            colds.append(time.perf_counter() - started)
    poll, cold = statistics.median(polls), statistics.median(colds)
    print(f"history: {len(whole)} events")
    print(f"a poll while following: median {poll * 1000:.0f} ms of {options.reads}")
    print(
        f"baseline, the whole history read again: median {cold * 1000:.0f} ms ({cold / poll:.1f}x the poll)"
    )


if __name__ == "__main__":
    main()
