"""Tags of Step Functions resources: TagResource, UntagResource, ListTagsForResource."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import delete, select

from fleetops.store.sessions import Sessions
from fleetops.store.tables import resource_tags


class TagRepository:
    """Reads and writes ``resource_tags``. Reach it as ``store.tags``."""

    def __init__(self, store: Sessions) -> None:
        self._store = store

    def tag(self, arn: str, tags: Mapping[str, str]) -> None:
        """Set ``tags`` on the resource (a key already there takes the new value)."""
        with self._store.transaction() as session:
            session.execute(
                delete(resource_tags).where(
                    resource_tags.c.resource_arn == arn, resource_tags.c.key.in_(list(tags))
                )
            )
            if tags:
                session.execute(
                    resource_tags.insert(),
                    [{"resource_arn": arn, "key": key, "value": value} for key, value in tags.items()],
                )

    def untag(self, arn: str, keys: Iterable[str]) -> None:
        """Remove the tags ``keys`` from the resource (keys it does not have are ignored)."""
        with self._store.transaction() as session:
            session.execute(
                delete(resource_tags).where(
                    resource_tags.c.resource_arn == arn, resource_tags.c.key.in_(list(keys))
                )
            )

    def list(self, arn: str) -> dict[str, str]:
        """The resource's tags, by key."""
        query = select(resource_tags.c.key, resource_tags.c.value).where(resource_tags.c.resource_arn == arn)
        with self._store.session() as session:
            return {row.key: row.value for row in session.execute(query.order_by(resource_tags.c.key))}
