"""A built-in runbook as AWS Step Functions runs it: ``fleetops:*`` Task resources become Activities.

AWS cannot call fleetops' Python handlers, so ``fleetops sfn export`` rewrites each Task whose
resource is ``fleetops:<handler>`` to the activity ``fleetops-<fleet>-<environment>-<handler>``,
which ``fleetops worker`` polls (GetActivityTask) and serves by running that handler. The task
input becomes ``{"payload": <what the handler took>, "context": {...}}``: the handler's
TaskContext (execution ARN, state name, retry count) travels with it, since an activity worker
sees nothing else of the execution. Each rewritten Task gets HeartbeatSeconds (the worker sends
heartbeats while its handler runs) and a first Retry on ``States.HeartbeatTimeout`` and
``fleetops.WorkerStopped``: a killed or stopping worker's task is handed to another. A handler
called with ``.waitForTaskToken`` (the approval gate) keeps its task open after the worker ran
it: ``$$.Task.Token`` becomes the activity's task token, which the worker passes on, and no
heartbeat is asked for.

The machine also starts with a Choice that ends at once for the input
``{"fleetops_export_check": true}``: the test execution the export runs before it moves the
``live`` alias, which proves the new version starts on the target without touching the fleet.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

PREFIX = "fleetops:"
WAIT_FOR_TOKEN = ".waitForTaskToken"
TOKEN_PATH = "$$.Task.Token"
WORKER_STOPPED = "fleetops.WorkerStopped"
"""The error a worker fails its tasks with when it stops before finishing them (retried)."""
CHECK_INPUT = "fleetops_export_check"
CHECK_STATE = "FleetopsExportCheck"
CHECKED_STATE = "FleetopsExportChecked"
DEFAULT_HEARTBEAT_SECONDS = 60


@dataclass(frozen=True)
class ActivityNames:
    """How a fleet's environment names its state machines and activities on Step Functions."""

    fleet: str
    environment: str

    @property
    def prefix(self) -> str:
        """``fleetops-<fleet>-<environment>-``: every activity and machine of the environment."""
        return f"fleetops-{self.fleet}-{self.environment}-"

    def machine(self, runbook: str) -> str:
        """The state machine of a runbook: ``fleetops-restaurant-dev-deploy``."""
        return _checked(f"{self.prefix}{runbook}")

    def activity(self, handler: str) -> str:
        """The activity of a handler: ``fleetops-restaurant-dev-deploy-initialize``."""
        return _checked(f"{self.prefix}{handler}")

    def handler(self, activity_name: str) -> str | None:
        """The handler an activity of this environment serves (None for another's activity)."""
        if not activity_name.startswith(self.prefix):
            return None
        return activity_name.removeprefix(self.prefix)


def _checked(name: str) -> str:
    if len(name) > 80 or not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        raise ValueError(f"{name!r} is not a Step Functions name (80 characters of letters, digits, - _ .)")
    return name


def handlers_of(definition: dict[str, Any]) -> list[str]:
    """The ``fleetops:`` handlers a definition's Task states call, sorted, each once."""
    return sorted({_handler(state["Resource"]) for state in _tasks(definition)})


def _handler(resource: str) -> str:
    return resource.removeprefix(PREFIX).removesuffix(WAIT_FOR_TOKEN)


def _tasks(machine: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for state in machine.get("States", {}).values():
        if state.get("Type") == "Task" and str(state.get("Resource", "")).startswith(PREFIX):
            yield state
        for branch in state.get("Branches", ()):
            yield from _tasks(branch)
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor is not None:
            yield from _tasks(processor)


def rewrite(
    definition: dict[str, Any],
    activity_arns: dict[str, str],
    *,
    heartbeat_seconds: int = DEFAULT_HEARTBEAT_SECONDS,
) -> dict[str, Any]:
    """``definition`` with every ``fleetops:`` Task calling its activity (``activity_arns``:
    handler -> activity ARN) and the export check in front (see the module docstring)."""
    machine = copy.deepcopy(definition)
    for state in _tasks(machine):
        resource = str(state["Resource"])
        handler = _handler(resource)
        waits = resource.endswith(WAIT_FOR_TOKEN)
        payload, token_key = _payload(state)
        context: dict[str, Any] = {
            "handler": handler,
            "execution_arn.$": "$$.Execution.Id",
            "state.$": "$$.State.Name",
            "attempt.$": "$$.State.RetryCount",
            "wait_for_token": waits,
        }
        if token_key is not None:
            context["token_key"] = token_key
        state["Resource"] = activity_arns[handler]
        state["Parameters"] = {"payload": payload} if not isinstance(payload, str) else {"payload.$": payload}
        state["Parameters"]["context"] = context
        if not waits:
            state["HeartbeatSeconds"] = heartbeat_seconds
            context["heartbeat_seconds"] = heartbeat_seconds
        retry = {
            "ErrorEquals": ["States.HeartbeatTimeout", WORKER_STOPPED],
            "IntervalSeconds": 1,
            "MaxAttempts": 5,
            "BackoffRate": 2.0,
        }
        state["Retry"] = [retry, *state.get("Retry", [])]
    start = machine["StartAt"]
    if CHECK_STATE in machine["States"] or CHECKED_STATE in machine["States"]:
        raise ValueError(f"the definition already has a state named {CHECK_STATE} or {CHECKED_STATE}")
    machine["States"] = {
        CHECK_STATE: {
            "Type": "Choice",
            "Comment": "fleetops sfn export's test execution ends here; any other input runs the runbook.",
            "Choices": [{"Variable": f"$.{CHECK_INPUT}", "IsPresent": True, "Next": CHECKED_STATE}],
            "Default": start,
        },
        CHECKED_STATE: {"Type": "Succeed"},
        **machine["States"],
    }
    machine["StartAt"] = CHECK_STATE
    return machine


def _payload(state: dict[str, Any]) -> tuple[Any, str | None]:
    """What the handler took: the state's Parameters (without the task token, which the worker
    adds back under the same key) or its whole effective input (``"$"``)."""
    parameters = state.get("Parameters")
    if parameters is None:
        return "$", None
    token_key = next((k.removesuffix(".$") for k, v in parameters.items() if v == TOKEN_PATH), None)
    kept = {k: v for k, v in parameters.items() if v != TOKEN_PATH}
    return kept, token_key
