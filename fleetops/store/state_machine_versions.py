"""State machine versions and aliases (PublishStateMachineVersion, CreateStateMachineAlias...).

A version is an immutable copy of a machine's definition and role, numbered from 1 per machine
(``<machine ARN>:<n>``); an alias (``<machine ARN>:<name>``) routes executions to one or two
versions by weight. Errors carry ``aws_code``, the ``__type`` the Step Functions protocol answers.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from fleetops.errors import BadInput, Refused
from fleetops.store.sessions import Sessions
from fleetops.store.state_machines import StateMachineRecord
from fleetops.store.tables import state_machine_aliases, state_machine_versions


class ResourceNotFound(BadInput):
    """No version or alias has that ARN."""

    aws_code = "ResourceNotFound"


class VersionConflict(Refused):
    """A change that would break what refers to it (a version an alias routes to; a revision
    that is not the machine's current one; an alias name taken)."""

    aws_code = "ConflictException"


@dataclass(frozen=True)
class VersionRecord:
    """One published version."""

    arn: str
    state_machine_arn: str
    version: int
    definition: str
    type: str
    role_arn: str
    description: str
    revision: int
    created_at: datetime


@dataclass(frozen=True)
class AliasRecord:
    """One alias and its routing (``[{"stateMachineVersionArn", "weight"}]``)."""

    arn: str
    state_machine_arn: str
    name: str
    description: str
    routing: list[dict[str, Any]]
    created_at: datetime
    updated_at: datetime


class VersionRepository:
    """Reads and writes ``state_machine_versions`` and ``state_machine_aliases``; reach it as
    ``store.versions``."""

    def __init__(self, store: Sessions) -> None:
        self._store = store

    def publish(self, machine: StateMachineRecord, *, description: str, at: datetime) -> VersionRecord:
        """A new version of ``machine`` as it is now, or the existing one of its current
        revision (publishing twice without an update in between makes no second version)."""
        with self._store.transaction() as session:
            row = (
                session.execute(
                    select(state_machine_versions).where(
                        state_machine_versions.c.state_machine_arn == machine.arn,
                        state_machine_versions.c.revision == machine.revision,
                        state_machine_versions.c.definition == machine.definition,
                    )
                )
                .mappings()
                .first()
            )
            if row is not None:
                return VersionRecord(**dict(row))
            latest = session.execute(
                select(func.max(state_machine_versions.c.version)).where(
                    state_machine_versions.c.state_machine_arn == machine.arn
                )
            ).scalar()
            number = (latest or 0) + 1
            record = VersionRecord(
                arn=f"{machine.arn}:{number}",
                state_machine_arn=machine.arn,
                version=number,
                definition=machine.definition,
                type=machine.type,
                role_arn=machine.role_arn,
                description=description,
                revision=machine.revision,
                created_at=at,
            )
            session.execute(insert(state_machine_versions).values(**record.__dict__))
        return record

    def get(self, arn: str) -> VersionRecord:
        """The version with ``arn``; ResourceNotFound."""
        with self._store.session() as session:
            row = (
                session.execute(select(state_machine_versions).where(state_machine_versions.c.arn == arn))
                .mappings()
                .first()
            )
        if row is None:
            raise ResourceNotFound(f"State Machine Version Does Not Exist: '{arn}'")
        return VersionRecord(**dict(row))

    def list(self, machine_arn: str, *, limit: int, offset: int = 0) -> builtins.list[VersionRecord]:
        """The machine's versions, newest first."""
        query = (
            select(state_machine_versions)
            .where(state_machine_versions.c.state_machine_arn == machine_arn)
            .order_by(state_machine_versions.c.version.desc())
            .limit(limit)
            .offset(offset)
        )
        with self._store.session() as session:
            rows = session.execute(query).mappings().all()
        return [VersionRecord(**dict(row)) for row in rows]

    def delete(self, arn: str) -> None:
        """Delete a version; VersionConflict while an alias routes to it (as AWS refuses)."""
        users = [a.name for a in self.aliases(arn.rsplit(":", 1)[0]) if arn in _targets(a)]
        if users:
            raise VersionConflict(
                f"Version to be deleted must not be referenced by an alias. Current list of aliases "
                f"referencing this version: [{', '.join(users)}]"
            )
        with self._store.transaction() as session:
            session.execute(delete(state_machine_versions).where(state_machine_versions.c.arn == arn))

    def create_alias(self, record: AliasRecord) -> AliasRecord:
        """Store an alias; the same one again is no change, another of that name a conflict."""
        try:
            with self._store.transaction() as session:
                session.execute(insert(state_machine_aliases).values(**record.__dict__))
        except IntegrityError as err:
            current = self.alias(record.arn)
            if (current.description, current.routing) == (record.description, record.routing):
                return current
            raise VersionConflict(f"Alias already exists with different settings: '{record.arn}'") from err
        return record

    def alias(self, arn: str) -> AliasRecord:
        """The alias with ``arn``; ResourceNotFound."""
        with self._store.session() as session:
            row = (
                session.execute(select(state_machine_aliases).where(state_machine_aliases.c.arn == arn))
                .mappings()
                .first()
            )
        if row is None:
            raise ResourceNotFound(f"State Machine Alias Does Not Exist: '{arn}'")
        return AliasRecord(**dict(row))

    def aliases(self, machine_arn: str, *, limit: int = 1000, offset: int = 0) -> builtins.list[AliasRecord]:
        """The machine's aliases, by name."""
        query = (
            select(state_machine_aliases)
            .where(state_machine_aliases.c.state_machine_arn == machine_arn)
            .order_by(state_machine_aliases.c.name)
            .limit(limit)
            .offset(offset)
        )
        with self._store.session() as session:
            rows = session.execute(query).mappings().all()
        return [AliasRecord(**dict(row)) for row in rows]

    def update_alias(
        self,
        arn: str,
        *,
        description: str | None,
        routing: builtins.list[dict[str, Any]] | None,
        at: datetime,
    ) -> AliasRecord:
        """Change an alias's description and/or routing (ResourceNotFound)."""
        self.alias(arn)
        changes: dict[str, Any] = {"updated_at": at}
        if description is not None:
            changes["description"] = description
        if routing is not None:
            changes["routing"] = routing
        with self._store.transaction() as session:
            session.execute(
                update(state_machine_aliases).where(state_machine_aliases.c.arn == arn).values(changes)
            )
        return self.alias(arn)

    def delete_alias(self, arn: str) -> None:
        """Delete an alias (no error when there is none, as AWS answers)."""
        with self._store.transaction() as session:
            session.execute(delete(state_machine_aliases).where(state_machine_aliases.c.arn == arn))

    def delete_machine(self, machine_arn: str) -> None:
        """Delete every version and alias of a machine (DeleteStateMachine deletes them too)."""
        with self._store.transaction() as session:
            session.execute(
                delete(state_machine_aliases).where(state_machine_aliases.c.state_machine_arn == machine_arn)
            )
            session.execute(
                delete(state_machine_versions).where(
                    state_machine_versions.c.state_machine_arn == machine_arn
                )
            )


def _targets(alias: AliasRecord) -> set[str]:
    return {str(route["stateMachineVersionArn"]) for route in alias.routing}
