"""``fleetops sfn export``: the built-in runbooks as state machines on AWS Step Functions.

Per runbook: the activities its ``fleetops:*`` tasks become are created (CreateActivity is
idempotent), the rewritten definition (``fleetops.runbooks.activities``) is validated
(ValidateStateMachineDefinition), created or updated with a new version published, a test
execution runs that version through the scratch alias ``export-check`` (it ends at once, touching
nothing), and only then the alias ``live`` moves to the new version. A failure at any step
leaves ``live`` where it was. ``--dry-run`` prints the definitions and the calls, calling nothing.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer

from fleetops.cli.options import FileOption
from fleetops.cli.output import OutputFormat, OutputOption, emit
from fleetops.cli.sfn import DEFAULT_ROLE_ARN, sfn_app
from fleetops.cli.sfn_client import aws_errors, target_client
from fleetops.errors import BadInput, OperationFailed
from fleetops.runbooks import RUNBOOKS, definition
from fleetops.runbooks.activities import (
    CHECK_INPUT,
    DEFAULT_HEARTBEAT_SECONDS,
    ActivityNames,
    handlers_of,
    rewrite,
)

LIVE_ALIAS = "live"
CHECK_ALIAS = "export-check"
CHECK_SECONDS = 120.0
"""How long the test execution may take before the export gives up (it ends at once normally)."""

EndpointOption = Annotated[
    str | None,
    typer.Option(
        "--endpoint-url",
        help="Step Functions endpoint (another fleetops server); default: the environment's "
        "stepfunctions.endpoint_url, else AWS (boto3's chain).",
    ),
]
RegionOption = Annotated[
    str | None, typer.Option("--region", help="Default: the environment's region, else boto3's chain.")
]


@dataclass
class Plan:
    """What an export does, call by call (printed by --dry-run, reported after a real run)."""

    calls: list[dict[str, Any]] = field(default_factory=list)
    machines: dict[str, dict[str, Any]] = field(default_factory=dict)
    activities: dict[str, str] = field(default_factory=dict)
    """Activity name -> ARN, of those created or found so far."""

    def call(self, action: str, **members: Any) -> None:
        """Record one call (without its definition text: that is printed once per machine)."""
        self.calls.append({"action": action, **{k: v for k, v in members.items() if k != "definition"}})


@dataclass(frozen=True)
class Target:
    """Where an environment's runbooks go: their naming, and the fleet file's region, account
    and Step Functions endpoint (None: not said there; the options or boto3's chain decide)."""

    names: ActivityNames
    region: str | None
    account: str | None
    endpoint_url: str | None


def environment_settings(file: Path, environment: str) -> Target:
    """The naming of ``environment``'s exports and where they go (``stepfunctions:`` of an
    ``orchestrator: aws-stepfunctions`` environment, else its AWS region and account)."""
    from fleetops.spec.loader import load_fleet

    fleet = load_fleet(file)
    settings = fleet.environments.get(environment)
    if settings is None:
        raise BadInput(
            f"--env {environment!r}: not an environment of {file} (it has: {', '.join(fleet.environments)})"
        )
    sfn = settings.stepfunctions
    region = (sfn.region if sfn else None) or getattr(settings, "region", None)
    account = getattr(settings, "account_id", None)
    endpoint = sfn.endpoint_url if sfn else None
    return Target(ActivityNames(fleet.name, environment), region, account, endpoint)


def chosen_runbooks(runbooks: list[str], every: bool) -> list[str]:
    """The runbooks named, or all with ``--all``; BadInput for an unknown one or none."""
    if every and runbooks:
        raise BadInput("name runbooks or give --all, not both")
    if every:
        return list(RUNBOOKS)
    if not runbooks:
        raise BadInput(f"name the runbooks to export ({', '.join(RUNBOOKS)}) or give --all")
    unknown = [r for r in runbooks if r not in RUNBOOKS]
    if unknown:
        raise BadInput(f"unknown runbook {', '.join(unknown)} (the built-in ones: {', '.join(RUNBOOKS)})")
    return runbooks


@sfn_app.command("export")
def export(
    runbooks: Annotated[
        list[str] | None, typer.Argument(help="Runbooks to export (deploy, rollback).")
    ] = None,
    *,
    every: Annotated[bool, typer.Option("--all", help="Every built-in runbook.")] = False,
    env: Annotated[str, typer.Option("--env", "-e", help="The environment whose runbooks they become.")],
    endpoint_url: EndpointOption = None,
    region: RegionOption = None,
    role_arn: Annotated[
        str, typer.Option("--role-arn", help="The execution role of the state machines (required on AWS).")
    ] = DEFAULT_ROLE_ARN,
    heartbeat_seconds: Annotated[
        int, typer.Option("--heartbeat-seconds", min=2, help="HeartbeatSeconds of the activity tasks.")
    ] = DEFAULT_HEARTBEAT_SECONDS,
    check: Annotated[
        bool,
        typer.Option(
            "--check/--no-check",
            help="Validate and run a test execution before moving `live` (--no-check for an "
            "endpoint that runs nothing, such as moto).",
        ),
    ] = True,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the definitions and calls; call nothing.")
    ] = False,
    file: FileOption = Path("fleet.yaml"),
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Export runbooks as state machines whose fleetops tasks are Activities served by `fleetops worker`."""
    target = environment_settings(file, env)
    names, env_region, account = target.names, target.region, target.account
    endpoint_url = endpoint_url or target.endpoint_url
    chosen = chosen_runbooks(list(runbooks or []), every)
    plan = Plan()
    settings = Settings(role_arn, heartbeat_seconds, check)
    if dry_run:
        arn_base = f"arn:aws:states:{region or env_region or 'us-east-1'}:{account or '123456789012'}"
        for runbook in chosen:
            _dry_run(plan, names, runbook, arn_base, settings)
    else:
        client = target_client(endpoint_url, region or env_region)
        with aws_errors(endpoint_url or "AWS Step Functions"):
            for runbook in chosen:
                _export(client, plan, names, runbook, settings)
    emit(
        {"dry_run": dry_run, "machines": plan.machines, "calls": plan.calls},
        output,
        lambda console: _show(console, plan, dry_run),
    )


def _show(console: Any, plan: Plan, dry_run: bool) -> None:
    for name, machine in plan.machines.items():
        if dry_run:
            console.print(f"# {name}", markup=False, highlight=False)
            console.print(json.dumps(machine["definition"], indent=2), markup=False, highlight=False)
        else:
            console.print(
                f"{name}: version {machine['version_arn'].rsplit(':', 1)[-1]} is live ({machine['checked']})",
                markup=False,
                highlight=False,
            )
    if dry_run:
        for call in plan.calls:
            members = " ".join(f"{k}={v}" for k, v in call.items() if k != "action")
            console.print(f"{call['action']} {members}", markup=False, highlight=False)


@dataclass(frozen=True)
class Settings:
    """How runbooks are exported: the machines' role, the tasks' HeartbeatSeconds, whether checked."""

    role_arn: str
    heartbeat: int
    check: bool


def _dry_run(plan: Plan, names: ActivityNames, runbook: str, arn_base: str, settings: Settings) -> None:
    role_arn, heartbeat, check = settings.role_arn, settings.heartbeat, settings.check
    source = definition(runbook)
    arns = {}
    for handler in handlers_of(source):
        activity = names.activity(handler)
        plan.call("CreateActivity", name=activity)
        arns[handler] = f"{arn_base}:activity:{activity}"
    exported = rewrite(source, arns, heartbeat_seconds=heartbeat)
    machine = names.machine(runbook)
    machine_arn = f"{arn_base}:stateMachine:{machine}"
    if check:
        plan.call("ValidateStateMachineDefinition", type="STANDARD")
    plan.call("CreateStateMachine", name=machine, roleArn=role_arn, publish=True)
    plan.call("UpdateStateMachine", stateMachineArn=machine_arn, publish=True, when="it exists")
    if check:
        plan.call("CreateStateMachineAlias", name=CHECK_ALIAS, version="<the new version>")
        plan.call("StartExecution", stateMachineArn=f"{machine_arn}:{CHECK_ALIAS}", input={CHECK_INPUT: True})
        plan.call("DescribeExecution", until="SUCCEEDED")
    plan.call("CreateStateMachineAlias", name=LIVE_ALIAS, version="<the new version>")
    plan.machines[machine] = {"definition": exported, "state_machine_arn": machine_arn}


def _export(client: Any, plan: Plan, names: ActivityNames, runbook: str, settings: Settings) -> None:
    role_arn, heartbeat, check = settings.role_arn, settings.heartbeat, settings.check
    from botocore.exceptions import ClientError

    source = definition(runbook)
    arns = {}
    for handler in handlers_of(source):
        activity = names.activity(handler)
        arns[handler] = _activity(client, plan, activity)
    exported = rewrite(source, arns, heartbeat_seconds=heartbeat)
    text = json.dumps(exported, indent=2)
    machine = names.machine(runbook)
    if check:
        plan.call("ValidateStateMachineDefinition", type="STANDARD")
        verdict = client.validate_state_machine_definition(definition=text, type="STANDARD")
        if verdict["result"] != "OK":
            problems = "; ".join(f"{d.get('location', '')}: {d['message']}" for d in verdict["diagnostics"])
            raise BadInput(f"{machine}: Step Functions refused the exported definition: {problems}")
    description = f"fleetops sfn export {runbook}"
    try:
        plan.call("CreateStateMachine", name=machine, roleArn=role_arn, publish=True)
        created = client.create_state_machine(
            name=machine, definition=text, roleArn=role_arn, publish=True, versionDescription=description
        )
        machine_arn, version_arn = created["stateMachineArn"], created.get("stateMachineVersionArn")
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") != "StateMachineAlreadyExists":
            raise
        # Same region and account as the activities just created.
        machine_arn = ":".join(next(iter(arns.values())).split(":")[:5]) + f":stateMachine:{machine}"
        plan.call("UpdateStateMachine", stateMachineArn=machine_arn, publish=True)
        updated = client.update_state_machine(
            stateMachineArn=machine_arn,
            definition=text,
            roleArn=role_arn,
            publish=True,
            versionDescription=description,
        )
        version_arn = updated.get("stateMachineVersionArn")
    if version_arn is None:
        raise OperationFailed(
            f"{machine}: the endpoint published no version (it answered without stateMachineVersionArn)"
        )
    checked = "not checked: --no-check"
    if check:
        _point(client, plan, machine_arn, CHECK_ALIAS, version_arn)
        _test_execution(client, plan, machine, f"{machine_arn}:{CHECK_ALIAS}")
        checked = "validated, test execution succeeded"
    _point(client, plan, machine_arn, LIVE_ALIAS, version_arn)
    plan.machines[machine] = {
        "state_machine_arn": machine_arn,
        "version_arn": version_arn,
        "alias_arn": f"{machine_arn}:{LIVE_ALIAS}",
        "checked": checked,
    }


def _activity(client: Any, plan: Plan, name: str) -> str:
    """The ARN of activity ``name``, created unless this export or an earlier one made it."""
    from botocore.exceptions import ClientError

    if name in plan.activities:
        return plan.activities[name]
    plan.call("CreateActivity", name=name)
    try:
        arn = str(client.create_activity(name=name)["activityArn"])
    except ClientError as err:
        # AWS answers an existing name with its ARN; some endpoints (moto) refuse it instead.
        if err.response.get("Error", {}).get("Code") != "ActivityAlreadyExists":
            raise
        pages = client.get_paginator("list_activities").paginate()
        arn = next(str(a["activityArn"]) for page in pages for a in page["activities"] if a["name"] == name)
    plan.activities[name] = arn
    return arn


def _point(client: Any, plan: Plan, machine_arn: str, alias: str, version_arn: str) -> None:
    """Create ``alias`` routing all executions to ``version_arn``, or move it there."""
    from botocore.exceptions import ClientError

    routing = [{"stateMachineVersionArn": version_arn, "weight": 100}]
    alias_arn = f"{machine_arn}:{alias}"
    try:
        client.describe_state_machine_alias(stateMachineAliasArn=alias_arn)
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") != "ResourceNotFound":
            raise
        plan.call("CreateStateMachineAlias", name=alias, version=version_arn)
        client.create_state_machine_alias(name=alias, routingConfiguration=routing)
        return
    plan.call("UpdateStateMachineAlias", stateMachineAliasArn=alias_arn, version=version_arn)
    client.update_state_machine_alias(stateMachineAliasArn=alias_arn, routingConfiguration=routing)


def _test_execution(client: Any, plan: Plan, machine: str, alias_arn: str) -> None:
    plan.call("StartExecution", stateMachineArn=alias_arn, input={CHECK_INPUT: True})
    arn = client.start_execution(stateMachineArn=alias_arn, input=json.dumps({CHECK_INPUT: True}))[
        "executionArn"
    ]
    deadline = time.monotonic() + CHECK_SECONDS
    while (described := client.describe_execution(executionArn=arn))["status"] == "RUNNING":
        if time.monotonic() > deadline:
            raise OperationFailed(
                f"{machine}: the test execution {arn} did not end within {CHECK_SECONDS:g} s"
            )
        time.sleep(0.2)
    plan.call("DescribeExecution", executionArn=arn, status=described["status"])
    if described["status"] != "SUCCEEDED":
        raise OperationFailed(
            f"{machine}: the test execution {arn} ended {described['status']} "
            f"({described.get('error', '')}: {described.get('cause', '')}); `live` was not moved"
        )
