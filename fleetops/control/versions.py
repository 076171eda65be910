"""State machine versions and aliases: publishing, routing an alias, resolving what an ARN runs.

A StartExecution ARN may name a machine (its current definition), a version
(``<machine>:<n>``: that version's definition) or an alias (``<machine>:<alias>``: one of its
one or two versions, chosen by weight). The execution belongs to the machine either way, and
remembers the version and alias it started through.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fleetops.control.names import check_arn, check_name
from fleetops.errors import BadInput
from fleetops.store import Store
from fleetops.store.state_machine_versions import (
    AliasRecord,
    ResourceNotFound,
    VersionConflict,
    VersionRecord,
)
from fleetops.store.state_machines import StateMachineRecord


class InvalidRouting(BadInput):
    """An alias routing configuration AWS would refuse."""

    aws_code = "ValidationException"


@dataclass(frozen=True)
class Target:
    """What a StartExecution ARN runs: the machine, the definition, and through what."""

    machine: StateMachineRecord
    definition: str
    version_arn: str | None = None
    alias_arn: str | None = None


def split(arn: str) -> tuple[str, str | None]:
    """A state machine ARN as (the machine's ARN, its qualifier: version number or alias name)."""
    parts = check_arn(arn, "stateMachine").split(":")
    if len(parts) == 8:
        return ":".join(parts[:7]), parts[7]
    return arn, None


def resolve(store: Store, arn: str, rng: random.Random | None = None) -> Target:
    """The target of a StartExecution ARN (StateMachineDoesNotExist, ResourceNotFound)."""
    machine_arn, qualifier = split(arn)
    machine = store.state_machines.get(machine_arn)
    if qualifier is None:
        return Target(machine, machine.definition)
    if qualifier.isdigit():
        version = store.versions.get(arn)
        return Target(machine, version.definition, version_arn=version.arn)
    alias = store.versions.alias(arn)
    routes = alias.routing
    chosen = (rng or random).choices(routes, weights=[int(r["weight"]) for r in routes])[0]
    version = store.versions.get(str(chosen["stateMachineVersionArn"]))
    return Target(machine, version.definition, version_arn=version.arn, alias_arn=alias.arn)


def publish(
    store: Store, machine_arn: str, *, revision_id: str | None, description: str | None
) -> VersionRecord:
    """PublishStateMachineVersion: ConflictException when ``revision_id`` is not the current one."""
    machine = store.state_machines.get(check_arn(machine_arn, "stateMachine"))
    if revision_id is not None and revision_id != str(machine.revision):
        raise VersionConflict(
            f"Failed to publish the State Machine version for revision {revision_id}. "
            f"The current State Machine revision is {machine.revision}."
        )
    return store.versions.publish(machine, description=description or "", at=datetime.now(UTC))


def check_routing(store: Store, machine_arn: str, routing: Any) -> list[dict[str, Any]]:
    """A valid routing configuration for an alias of ``machine_arn``, as stored."""
    if not isinstance(routing, list) or not 1 <= len(routing) <= 2:
        raise InvalidRouting("routingConfiguration must list one or two versions")
    routes: list[dict[str, Any]] = []
    for route in routing:
        version_arn, weight = route.get("stateMachineVersionArn"), route.get("weight")
        if not isinstance(version_arn, str) or not isinstance(weight, int) or isinstance(weight, bool):
            raise InvalidRouting("each route needs a stateMachineVersionArn (string) and a weight (integer)")
        if split(version_arn)[0] != machine_arn or not (split(version_arn)[1] or "").isdigit():
            raise InvalidRouting(f"{version_arn} is not a version of {machine_arn}")
        store.versions.get(version_arn)
        routes.append({"stateMachineVersionArn": version_arn, "weight": weight})
    if sum(r["weight"] for r in routes) != 100 or any(not 0 <= r["weight"] <= 100 for r in routes):
        raise InvalidRouting("the weights of routingConfiguration must add up to 100")
    if len({r["stateMachineVersionArn"] for r in routes}) != len(routes):
        raise InvalidRouting("routingConfiguration names the same version twice")
    return routes


def create_alias(store: Store, name: str, description: str | None, routing: Any) -> AliasRecord:
    """CreateStateMachineAlias: the alias of the machine its versions belong to."""
    check_name(name, "alias")
    if name.isdigit():
        raise InvalidRouting(f"alias name {name!r} must not be a number: numbers name versions")
    first = routing[0].get("stateMachineVersionArn") if isinstance(routing, list) and routing else None
    if not isinstance(first, str):
        raise InvalidRouting("routingConfiguration must list one or two versions")
    machine_arn = split(first)[0]
    store.state_machines.get(machine_arn)
    now = datetime.now(UTC)
    return store.versions.create_alias(
        AliasRecord(
            arn=f"{machine_arn}:{name}",
            state_machine_arn=machine_arn,
            name=name,
            description=description or "",
            routing=check_routing(store, machine_arn, routing),
            created_at=now,
            updated_at=now,
        )
    )


def update_alias(store: Store, arn: str, description: str | None, routing: Any) -> AliasRecord:
    """UpdateStateMachineAlias."""
    alias = store.versions.alias(arn)
    routes = None if routing is None else check_routing(store, alias.state_machine_arn, routing)
    return store.versions.update_alias(arn, description=description, routing=routes, at=datetime.now(UTC))


__all__ = [
    "InvalidRouting",
    "ResourceNotFound",
    "Target",
    "VersionConflict",
    "check_routing",
    "create_alias",
    "publish",
    "resolve",
    "split",
    "update_alias",
]
