"""Runbook executions of ``orchestrator: aws-stepfunctions`` environments, on Step Functions.

``fleetops sfn export`` put each runbook there as ``fleetops-<fleet>-<environment>-<runbook>``
with its alias ``live``; ``fleetops worker`` processes serve its activities by running the
handlers in this control plane (``POST /tasks/run``), where the fleet lives. Here the control
plane starts executions through the alias (StartExecution), describes and follows them
(DescribeExecution, GetExecutionHistory), lists and stops them: what ``Deployments`` does with
its own engine for a local environment. Credentials, and the endpoint unless the fleet file
names one, come from boto3's standard chain of the server's process.

Called from the routes' threads and the server's event loop (a stop); boto3 clients are
thread-safe, the caches below are filled idempotently.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fleetops.control.sfn_history import as_local_history
from fleetops.engine import HistoryEvent
from fleetops.errors import BadInput, FleetopsError, OperationFailed, Refused
from fleetops.runbooks.activities import ActivityNames
from fleetops.spec.fleet import Fleet
from fleetops.spec.models import Orchestrator
from fleetops.store.executions import ExecutionRecord

HISTORIES_KEPT = 64
"""How many executions' histories are kept between reads (those followed now)."""
LIVE_ALIAS = "live"
"""The alias ``fleetops sfn export`` moves to each new version once it was checked."""


@dataclass(frozen=True)
class Target:
    """Where one environment's runbooks run: its naming and its Step Functions client."""

    environment: str
    names: ActivityNames
    client: Any


ClientFactory = Callable[[str | None, str | None], Any]
"""``(endpoint_url, region) -> boto3 stepfunctions client``."""


def boto3_client(endpoint_url: str | None, region: str | None) -> Any:
    """A boto3 client for Step Functions: AWS by default, or ``endpoint_url``."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "stepfunctions",
        endpoint_url=endpoint_url,
        region_name=region,
        config=Config(read_timeout=30, retries={"max_attempts": 3}),
    )


def orchestrated(fleet: Fleet | None, environment: str) -> bool:
    """Whether ``environment``'s runbooks run on Step Functions."""
    settings = None if fleet is None else fleet.environments.get(environment)
    return settings is not None and settings.orchestrator is Orchestrator.AWS_STEPFUNCTIONS


class StepFunctionsRunbooks:
    """Starts, describes, follows, lists and stops runbook executions on Step Functions."""

    def __init__(self, fleet: Callable[[], Fleet | None], client: ClientFactory = boto3_client) -> None:
        """``fleet``: the fleet file the server runs (read on each call: it may be reloaded)."""
        self._fleet = fleet
        self._client = client
        self._clients: dict[tuple[str | None, str | None], Any] = {}
        self._machines: dict[str, str] = {}
        """Machine name -> ARN, found with ListStateMachines (the account is the endpoint's)."""
        self._histories: dict[str, list[dict[str, Any]]] = {}
        """Execution ARN -> its events read so far, least recently read first."""
        self._lock = threading.Lock()

    # -- where -----------------------------------------------------------------------------

    def target(self, environment: str) -> Target:
        """``environment``'s naming and client (``BadInput`` unless it is orchestrated here)."""
        fleet = self._fleet()
        if fleet is None or not orchestrated(fleet, environment):
            raise BadInput(f"environment {environment!r} does not run its runbooks on Step Functions")
        settings = fleet.environments[environment]
        sfn = settings.stepfunctions
        region = (sfn.region if sfn else None) or getattr(settings, "region", None)
        key = (sfn.endpoint_url if sfn else None, region)
        with self._lock:
            if key not in self._clients:
                self._clients[key] = self._client(*key)
            client = self._clients[key]
        return Target(environment, ActivityNames(fleet.name, environment), client)

    def target_of(self, arn: str) -> Target | None:
        """The environment an execution ARN of an exported runbook belongs to (None: not one)."""
        fleet = self._fleet()
        parts = arn.split(":")
        if fleet is None or len(parts) < 8 or parts[5] != "execution":
            return None
        for environment in fleet.environments:
            if orchestrated(fleet, environment):
                names = ActivityNames(fleet.name, environment)
                if parts[6].startswith(names.prefix):
                    return self.target(environment)
        return None

    def machine_arn(self, target: Target, runbook: str) -> str:
        """The ARN of the exported machine of ``runbook`` (``BadInput`` when it was not exported)."""
        name = target.names.machine(runbook)
        with self._lock:
            known = self._machines.get(name)
        if known is not None:
            return known
        pages = target.client.get_paginator("list_state_machines").paginate()
        found = next(
            (str(m["stateMachineArn"]) for page in pages for m in page["stateMachines"] if m["name"] == name),
            None,
        )
        if found is None:
            raise BadInput(
                f"environment {target.environment!r} runs its runbooks on Step Functions, where there is "
                f"no state machine {name}: export it first (fleetops sfn export --all --env "
                f"{target.environment})"
            )
        with self._lock:
            self._machines[name] = found
        return found

    def execution_arn(self, target: Target, runbook: str, name: str) -> str:
        """The ARN of execution ``name`` of ``runbook``'s exported machine."""
        machine = self.machine_arn(target, runbook)
        return machine.replace(":stateMachine:", ":execution:", 1) + f":{name}"

    def find(self, name: str) -> tuple[str, Target] | None:
        """The ARN and target of execution ``name`` of an ``aws-stepfunctions`` environment
        (None: no such environment's name): names say their environment and operation
        (``deploy-dev-20261122T090000-3f2a``, ``rotate-db-password-dev-...``)."""
        fleet = self._fleet()
        for environment in [] if fleet is None else list(fleet.environments):
            if not orchestrated(fleet, environment):
                continue
            found = re.fullmatch(rf"(.+)-{re.escape(environment)}-\d{{8}}T\d{{6}}-[0-9a-f]{{4}}", name)
            if found is None:
                continue
            operation = found.group(1)
            runbook = {"rollback": "rollback", "restore": "restore"}.get(operation, "deploy")
            if operation.startswith("rotate-"):
                runbook = "rotate-secret"
            target = self.target(environment)
            return self.execution_arn(target, runbook, name), target
        return None

    # -- acting ----------------------------------------------------------------------------

    def start(self, environment: str, runbook: str, name: str, payload: dict[str, Any]) -> str:
        """Start ``runbook`` through its alias ``live``; the execution's ARN."""
        target = self.target(environment)
        alias = f"{self.machine_arn(target, runbook)}:{LIVE_ALIAS}"
        with _errors(environment):
            started = target.client.start_execution(
                stateMachineArn=alias, name=name, input=json.dumps(payload)
            )
        return str(started["executionArn"])

    def describe(self, target: Target, arn: str) -> ExecutionRecord:
        """DescribeExecution as the store's record (no definition, no lease)."""
        with _errors(target.environment):
            found = target.client.describe_execution(executionArn=arn)
        return ExecutionRecord(
            arn=str(found["executionArn"]),
            state_machine_arn=str(found["stateMachineArn"]),
            name=str(found["name"]),
            status=str(found["status"]),
            definition="",
            input=str(found.get("input") or "null"),
            output=found.get("output"),
            error=found.get("error"),
            cause=found.get("cause"),
            start_date=_date(found["startDate"]),
            stop_date=None if found.get("stopDate") is None else _date(found["stopDate"]),
            lease_owner=None,
            lease_expires=None,
            state_machine_version_arn=found.get("stateMachineVersionArn"),
            state_machine_alias_arn=found.get("stateMachineAliasArn"),
            redrive_count=int(found.get("redriveCount") or 0),
        )

    def events(self, target: Target, arn: str) -> list[dict[str, Any]]:
        """GetExecutionHistory, oldest first (AWS's shapes). A history only grows, so what was
        read of it before is kept (for the last ``HISTORIES_KEPT`` executions) and only the
        newer events are asked for, newest first: following a deployment reads each event once,
        not its whole history every second."""
        with self._lock:
            known = self._histories.pop(arn, [])
        last = known[-1]["id"] if known else 0
        newer: list[dict[str, Any]] = []
        with _errors(target.environment):
            pages = target.client.get_paginator("get_execution_history").paginate(
                executionArn=arn, reverseOrder=True
            )
            for page in pages:
                fresh = [event for event in page["events"] if event["id"] > last]
                newer += fresh
                if len(fresh) < len(page["events"]):
                    break
        events = known + newer[::-1]
        with self._lock:
            self._histories[arn] = events
            while len(self._histories) > HISTORIES_KEPT:
                self._histories.pop(next(iter(self._histories)))
        return events

    def history(self, target: Target, arn: str) -> list[HistoryEvent]:
        """The history as the engine's events (activities as the tasks they stand for)."""
        return as_local_history(self.events(target, arn), target.names)

    def as_recorded(self, target: Target, arn: str) -> list[HistoryEvent]:
        """The history as AWS recorded it (activity events as they are), to show it."""
        return as_local_history(self.events(target, arn), None)

    def stop(self, target: Target, arn: str, *, error: str, cause: str) -> ExecutionRecord:
        """StopExecution (an execution that ended meanwhile is left as it is); the record after."""
        from botocore.exceptions import ClientError

        try:
            target.client.stop_execution(executionArn=arn, error=error[:256], cause=cause[:32768])
        except ClientError as err:
            # AWS answers a stop of an ended execution with success; an endpoint may refuse it.
            if err.response.get("Error", {}).get("Code") != "ExecutionNotRunning":
                raise _error(target.environment, err) from err
        return self.describe(target, arn)

    def answer(
        self,
        target: Target,
        token: str,
        *,
        output: Any = None,
        error: str | None = None,
        cause: str | None = None,
    ) -> None:
        """SendTaskSuccess with ``output`` or, with ``error``, SendTaskFailure: the answer to a
        task waiting for its token (``BadInput`` when it waits no more: it timed out, was
        answered, or its execution ended)."""
        with _errors(target.environment):
            if error is None:
                target.client.send_task_success(taskToken=token, output=json.dumps(output))
            else:
                target.client.send_task_failure(
                    taskToken=token, error=error[:256], cause=(cause or "")[:32768]
                )

    def list_executions(
        self, environment: str, runbook: str, status: str | None, limit: int
    ) -> list[ExecutionRecord]:
        """ListExecutions of ``runbook``'s machine, newest first (at most ``limit``)."""
        target = self.target(environment)
        members: dict[str, Any] = {"stateMachineArn": self.machine_arn(target, runbook)}
        if status:
            members["statusFilter"] = status
        found: list[ExecutionRecord] = []
        with _errors(environment):
            for page in target.client.get_paginator("list_executions").paginate(**members):
                for item in page["executions"]:
                    found.append(_listed(item))
                    if len(found) >= limit:
                        return found
        return found

    def list_all(self, runbooks: Sequence[str], *, status: str | None, limit: int) -> list[ExecutionRecord]:
        """Executions of ``runbooks`` of every ``aws-stepfunctions`` environment, newest first
        (a runbook not exported there has none)."""
        fleet = self._fleet()
        found: list[ExecutionRecord] = []
        for environment in [] if fleet is None else list(fleet.environments):
            if not orchestrated(fleet, environment):
                continue
            for runbook in runbooks:
                try:
                    found += self.list_executions(environment, runbook, status, limit)
                except BadInput:
                    continue  # not exported: nothing of it ran there
        found.sort(key=lambda r: r.start_date, reverse=True)
        return found[:limit]


def _listed(item: dict[str, Any]) -> ExecutionRecord:
    return ExecutionRecord(
        arn=str(item["executionArn"]),
        state_machine_arn=str(item["stateMachineArn"]),
        name=str(item["name"]),
        status=str(item["status"]),
        definition="",
        input="null",
        output=None,
        error=None,
        cause=None,
        start_date=_date(item["startDate"]),
        stop_date=None if item.get("stopDate") is None else _date(item["stopDate"]),
        lease_owner=None,
        lease_expires=None,
    )


def _date(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


class _errors:
    """boto3's errors as fleetops errors naming the environment's Step Functions."""

    def __init__(self, environment: str) -> None:
        self.environment = environment

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, value: BaseException | None, _tb: object) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        if isinstance(value, ClientError):
            raise _error(self.environment, value) from value
        if isinstance(value, BotoCoreError):
            raise OperationFailed(
                f"environment {self.environment!r}: cannot reach its Step Functions: {value}"
            ) from value


def _error(environment: str, err: Any) -> FleetopsError:
    error = err.response.get("Error", {})
    code, message = error.get("Code", "Error"), error.get("Message", str(err))
    where = f"environment {environment!r}'s Step Functions: {code}: {message}"
    if code in ("ExecutionAlreadyExists", "ExecutionLimitExceeded", "ConflictException"):
        return Refused(where)
    if code in ("AccessDeniedException", "UnrecognizedClientException"):
        return Refused(f"{where} (the control plane's AWS credentials may not do this)")
    if code in ("ExecutionDoesNotExist", "StateMachineDoesNotExist", "ResourceNotFound"):
        return BadInput(where)
    if code in ("TaskDoesNotExist", "TaskTimedOut", "InvalidToken"):
        # A task token's text is never in the message: AWS's names no token, fleetops' endpoint
        # quotes it (as the engine's TaskDoesNotExist does), so it is left out here.
        return BadInput(f"environment {environment!r}'s Step Functions: {code}: the task waits no more")
    return OperationFailed(where)
