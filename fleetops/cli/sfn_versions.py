"""``fleetops sfn publish-state-machine-version``, ``move-alias`` and ``redrive-execution``.

Rolling a definition out is publishing a version and moving an alias to it; rolling it back is
moving the alias to the version before (``move-alias orchestrator live --to-version 3``), which
creates the alias the first time.
"""

from __future__ import annotations

from typing import Annotated

import typer

from fleetops.cli.output import OutputFormat, OutputOption
from fleetops.cli.sfn import ExecutionArg, MachineArg, _show, sfn_app
from fleetops.cli.sfn_client import answer, arn_of, sfn_session


@sfn_app.command("publish-state-machine-version")
def publish_state_machine_version(
    machine: MachineArg,
    *,
    description: Annotated[str | None, typer.Option(help="What this version is.")] = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Publish the machine's current definition as a new version (admin); the same one when unchanged."""
    request = {"stateMachineArn": arn_of("stateMachine", machine)}
    if description is not None:
        request["description"] = description
    with sfn_session() as sfn:
        _show(answer(sfn.publish_state_machine_version(**request)), output)


@sfn_app.command("move-alias")
def move_alias(
    machine: MachineArg,
    alias: Annotated[str, typer.Argument(help="The alias's name (live).")],
    *,
    to_version: Annotated[
        int, typer.Option("--to-version", min=1, help="The version it routes every execution to.")
    ],
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Route every execution of ALIAS to one version (admin): roll forward or back; created if missing."""
    from botocore.exceptions import ClientError

    machine_arn = arn_of("stateMachine", machine)
    alias_arn = f"{machine_arn}:{alias}"
    routing = [{"stateMachineVersionArn": f"{machine_arn}:{to_version}", "weight": 100}]
    with sfn_session() as sfn:
        try:
            sfn.update_state_machine_alias(stateMachineAliasArn=alias_arn, routingConfiguration=routing)
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") != "ResourceNotFound":
                raise
            sfn.create_state_machine_alias(name=alias, routingConfiguration=routing)
        _show(answer(sfn.describe_state_machine_alias(stateMachineAliasArn=alias_arn)), output)


@sfn_app.command("redrive-execution")
def redrive_execution(execution: ExecutionArg, *, output: OutputOption = OutputFormat.TABLE) -> None:
    """Run a failed, timed-out or aborted execution again from where it failed (operator)."""
    with sfn_session() as sfn:
        _show(answer(sfn.redrive_execution(executionArn=execution)), output)
