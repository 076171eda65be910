"""Step Functions actions for versions, aliases and redrive (registered on ``ACTIONS``).

PublishStateMachineVersion, ListStateMachineVersions, DeleteStateMachineVersion;
Create/Describe/Update/Delete/ListStateMachineAliases; RedriveExecution. StartExecution through
a version or alias ARN is ``fleetops.control.versions.resolve``.
"""

from __future__ import annotations

from fleetops.control import ExecutionService, versions
from fleetops.control.names import check_arn
from fleetops.server.roles import Role
from fleetops.server.sfn import shapes
from fleetops.server.sfn.actions import Body, action, next_page, page, required
from fleetops.server.sfn.validation import ValidationException


def _version_arn(body: Body, member: str) -> str:
    arn = check_arn(required(body, member), "stateMachine")
    if not (versions.split(arn)[1] or "").isdigit():
        raise ValidationException(
            f"{member} must be a state machine version ARN (<machine ARN>:<n>), not {arn}"
        )
    return arn


def _alias_arn(body: Body) -> str:
    arn = check_arn(required(body, "stateMachineAliasArn"), "stateMachine")
    qualifier = versions.split(arn)[1]
    if qualifier is None or qualifier.isdigit():
        raise ValidationException(
            f"stateMachineAliasArn must be an alias ARN (<machine ARN>:<alias>), not {arn}"
        )
    return arn


@action("PublishStateMachineVersion", Role.ADMIN, "state_machines.publish", target="stateMachineArn")
async def publish_state_machine_version(service: ExecutionService, body: Body) -> Body:
    record = versions.publish(
        service.store,
        required(body, "stateMachineArn"),
        revision_id=body.get("revisionId"),
        description=body.get("description"),
    )
    return {"creationDate": shapes.epoch(record.created_at), "stateMachineVersionArn": record.arn}


@action("ListStateMachineVersions", Role.VIEWER)
async def list_state_machine_versions(service: ExecutionService, body: Body) -> Body:
    arn = check_arn(required(body, "stateMachineArn"), "stateMachine")
    service.store.state_machines.get(arn)
    limit, offset = page(body)
    records = service.store.versions.list(arn, limit=limit, offset=offset)
    items = [{"stateMachineVersionArn": r.arn, "creationDate": shapes.epoch(r.created_at)} for r in records]
    return {"stateMachineVersions": items, **next_page(records, limit, offset)}


@action(
    "DeleteStateMachineVersion", Role.ADMIN, "state_machines.delete_version", target="stateMachineVersionArn"
)
async def delete_state_machine_version(service: ExecutionService, body: Body) -> Body:
    service.store.versions.delete(_version_arn(body, "stateMachineVersionArn"))
    return {}


@action("CreateStateMachineAlias", Role.ADMIN, "state_machines.create_alias", target="name")
async def create_state_machine_alias(service: ExecutionService, body: Body) -> Body:
    record = versions.create_alias(
        service.store, required(body, "name"), body.get("description"), body.get("routingConfiguration")
    )
    return {"stateMachineAliasArn": record.arn, "creationDate": shapes.epoch(record.created_at)}


@action("DescribeStateMachineAlias", Role.VIEWER)
async def describe_state_machine_alias(service: ExecutionService, body: Body) -> Body:
    return shapes.alias(service.store.versions.alias(_alias_arn(body)))


@action("UpdateStateMachineAlias", Role.ADMIN, "state_machines.update_alias", target="stateMachineAliasArn")
async def update_state_machine_alias(service: ExecutionService, body: Body) -> Body:
    record = versions.update_alias(
        service.store, _alias_arn(body), body.get("description"), body.get("routingConfiguration")
    )
    return {"updateDate": shapes.epoch(record.updated_at)}


@action("DeleteStateMachineAlias", Role.ADMIN, "state_machines.delete_alias", target="stateMachineAliasArn")
async def delete_state_machine_alias(service: ExecutionService, body: Body) -> Body:
    service.store.versions.delete_alias(_alias_arn(body))
    return {}


@action("ListStateMachineAliases", Role.VIEWER)
async def list_state_machine_aliases(service: ExecutionService, body: Body) -> Body:
    arn = check_arn(required(body, "stateMachineArn"), "stateMachine")
    machine_arn, qualifier = versions.split(arn)
    service.store.state_machines.get(machine_arn)
    limit, offset = page(body)
    records = service.store.versions.aliases(machine_arn, limit=limit, offset=offset)
    if qualifier is not None:  # a version ARN: the aliases that route to it
        records = [r for r in records if any(route["stateMachineVersionArn"] == arn for route in r.routing)]
    items = [{"stateMachineAliasArn": r.arn, "creationDate": shapes.epoch(r.created_at)} for r in records]
    return {"stateMachineAliases": items, **next_page(records, limit, offset)}


@action("RedriveExecution", Role.OPERATOR, "executions.redrive", target="executionArn")
async def redrive_execution(service: ExecutionService, body: Body) -> Body:
    record = service.redrive_execution(required(body, "executionArn"))
    assert record.redrive_date is not None
    return {"redriveDate": shapes.epoch(record.redrive_date)}
