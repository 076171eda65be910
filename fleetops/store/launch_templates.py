"""What the local fleet's AWS endpoint remembers of each service's launch template beyond its
versions (which are the service's releases): the default version ModifyLaunchTemplate set, the
version the group launches (UpdateAutoScalingGroup, StartInstanceRefresh), and the versions'
descriptions (CreateLaunchTemplateVersion). Kept here so a restarted control plane shows them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select, update

from fleetops.store.sessions import Sessions
from fleetops.store.tables import launch_templates


@dataclass(frozen=True)
class LaunchTemplateRow:
    """One service's launch template pointers (None: not set, the current release applies)."""

    default_version: int | None = None
    group_version: str | None = None
    descriptions: dict[str, str] = field(default_factory=dict)
    """VersionDescription by version number (as text)."""


class LaunchTemplateRepository:
    """Reads and writes ``launch_templates``. Reach it as ``store.launch_templates``."""

    def __init__(self, store: Sessions) -> None:
        self._store = store

    def get(self, environment: str, service: str) -> LaunchTemplateRow:
        """The service's row (an empty one when nothing was set)."""
        with self._store.session() as session:
            found = (
                session.execute(select(launch_templates).where(*_of(environment, service))).mappings().first()
            )
        if found is None:
            return LaunchTemplateRow()
        return LaunchTemplateRow(
            found["default_version"], found["group_version"], dict(found["descriptions"])
        )

    def set_default(self, environment: str, service: str, number: int) -> None:
        """ModifyLaunchTemplate's default version."""
        self._change(environment, service, default_version=number)

    def set_group_version(self, environment: str, service: str, version: str) -> None:
        """The version the group launches, as given (``$Latest``, ``3``)."""
        self._change(environment, service, group_version=version)

    def set_description(self, environment: str, service: str, number: int, text: str) -> None:
        """A version's VersionDescription."""
        with self._store.transaction() as session:
            found = session.execute(
                select(launch_templates.c.descriptions).where(*_of(environment, service))
            ).scalar_one_or_none()
            descriptions = {**(found or {}), str(number): text}
            self._upsert(session, environment, service, found is not None, descriptions=descriptions)

    def _change(self, environment: str, service: str, **values: Any) -> None:
        with self._store.transaction() as session:
            exists = session.execute(
                select(launch_templates.c.service).where(*_of(environment, service))
            ).first()
            self._upsert(session, environment, service, exists is not None, **values)

    @staticmethod
    def _upsert(session: Any, environment: str, service: str, exists: bool, **values: Any) -> None:
        if exists:
            session.execute(update(launch_templates).where(*_of(environment, service)).values(**values))
        else:
            session.execute(
                insert(launch_templates).values(
                    environment=environment, service=service, **{"descriptions": {}, **values}
                )
            )


def _of(environment: str, service: str) -> tuple[Any, ...]:
    return (launch_templates.c.environment == environment, launch_templates.c.service == service)
