"""``fleetops sfn backup --all DIR`` and ``fleetops sfn restore DIR``: state machines as files.

Seed 001's first step before any change to the orchestrator is a backup of its definition. A
backup writes one ``<name>.json`` per state machine: its definition, role, type, tags, and its
aliases with their routing (versions are listed by ARN: a version cannot be recreated with its
number). A restore creates each machine, or updates it when the definition or role differs, and
puts its tags back; aliases are reported, not moved (moving ``live`` is a decision: use
``update-state-machine-alias``). Without ``--endpoint-url`` both act on the control plane's own
Step Functions endpoint; with it, on that endpoint (or AWS, from boto3's chain).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from fleetops.cli.output import OutputFormat, OutputOption, emit
from fleetops.cli.sfn import sfn_app
from fleetops.cli.sfn_client import answer, aws_errors, sfn_session, target_client
from fleetops.cli.sfn_export import EndpointOption, RegionOption
from fleetops.errors import BadInput

FORMAT = "fleetops-sfn-backup/1"


@contextmanager
def _client(endpoint_url: str | None, region: str | None) -> Iterator[Any]:
    if endpoint_url is None and region is None:
        with sfn_session() as client:
            yield client
        return
    with aws_errors(endpoint_url or "AWS Step Functions"):
        yield target_client(endpoint_url, region)


def _pages(client: Any, operation: str, key: str, **members: Any) -> list[dict[str, Any]]:
    return [item for page in client.get_paginator(operation).paginate(**members) for item in page[key]]


def machine_backup(client: Any, arn: str) -> dict[str, Any]:
    """One machine as its backup file holds it."""
    described = answer(client.describe_state_machine(stateMachineArn=arn))
    aliases = []
    for item in client.list_state_machine_aliases(stateMachineArn=arn).get("stateMachineAliases", []):
        alias = answer(client.describe_state_machine_alias(stateMachineAliasArn=item["stateMachineAliasArn"]))
        aliases.append({"name": alias["name"], "routingConfiguration": alias["routingConfiguration"]})
    versions = client.list_state_machine_versions(stateMachineArn=arn).get("stateMachineVersions", [])
    return {
        "format": FORMAT,
        "stateMachineArn": arn,
        "name": described["name"],
        "type": described.get("type", "STANDARD"),
        "roleArn": described["roleArn"],
        "revisionId": described.get("revisionId"),
        "definition": json.loads(described["definition"]),
        "tags": client.list_tags_for_resource(resourceArn=arn).get("tags", []),
        "aliases": aliases,
        "versions": [v["stateMachineVersionArn"] for v in versions],
    }


@sfn_app.command("backup")
def backup(
    folder: Annotated[Path, typer.Argument(help="The folder to write <name>.json files into (created).")],
    *,
    every: Annotated[
        bool,
        typer.Option("--all", help="Every state machine (required: a backup is never partial by accident)."),
    ] = False,
    endpoint_url: EndpointOption = None,
    region: RegionOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Write every state machine's definition, role, tags and aliases to FOLDER."""
    if not every:
        raise BadInput("give --all: a backup holds every state machine")
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    with _client(endpoint_url, region) as client:
        for item in _pages(client, "list_state_machines", "stateMachines"):
            saved = machine_backup(client, item["stateMachineArn"])
            path = folder / f"{saved['name']}.json"
            path.write_text(json.dumps(saved, indent=2) + "\n")
            written.append({"name": saved["name"], "file": str(path), "revisionId": saved["revisionId"]})
    emit(
        {"folder": str(folder), "machines": written},
        output,
        lambda console: console.print(
            f"{len(written)} state machines backed up in {folder}", markup=False, highlight=False
        ),
    )


@sfn_app.command("restore")
def restore(
    folder: Annotated[Path, typer.Argument(help="A folder written by `fleetops sfn backup --all`.")],
    *,
    endpoint_url: EndpointOption = None,
    region: RegionOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Create or update each backed-up state machine with its definition, role and tags."""
    from botocore.exceptions import ClientError

    files = sorted(folder.glob("*.json"))
    backups = [_read(path) for path in files]
    if not backups:
        raise BadInput(f"{folder}: no backup files (*.json written by `fleetops sfn backup --all`)")
    restored = []
    with _client(endpoint_url, region) as client:
        for saved in backups:
            text = json.dumps(saved["definition"], indent=2)
            try:
                created = client.create_state_machine(
                    name=saved["name"], definition=text, roleArn=saved["roleArn"], type=saved["type"]
                )
                arn, action = created["stateMachineArn"], "created"
            except ClientError as err:
                if err.response.get("Error", {}).get("Code") != "StateMachineAlreadyExists":
                    raise
                arn = saved["stateMachineArn"]
                current = client.describe_state_machine(stateMachineArn=arn)
                if (
                    json.loads(current["definition"]) == saved["definition"]
                    and current["roleArn"] == saved["roleArn"]
                ):
                    action = "unchanged"
                else:
                    client.update_state_machine(
                        stateMachineArn=arn, definition=text, roleArn=saved["roleArn"]
                    )
                    action = "updated"
            if saved["tags"]:
                client.tag_resource(resourceArn=arn, tags=saved["tags"])
            restored.append({"name": saved["name"], "action": action, "aliases": saved["aliases"]})

    def show(console: Any) -> None:
        for item in restored:
            console.print(f"{item['name']}: {item['action']}", markup=False, highlight=False)

    emit({"folder": str(folder), "machines": restored}, output, show)


def _read(path: Path) -> dict[str, Any]:
    try:
        saved: Any = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise BadInput(f"{path}: not a backup file: {err}") from err
    if not isinstance(saved, dict) or saved.get("format") != FORMAT:
        raise BadInput(f'{path}: not a backup file (expected "format": "{FORMAT}")')
    missing = [
        k
        for k in ("name", "stateMachineArn", "roleArn", "type", "definition", "tags", "aliases")
        if k not in saved
    ]
    if missing:
        raise BadInput(f"{path}: the backup lacks {', '.join(missing)}")
    return saved
