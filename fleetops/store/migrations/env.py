"""Alembic environment: runs on the connection ``upgrade_to_head`` passes in, never from a URL."""

from __future__ import annotations

from alembic import context

from fleetops.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "fleetops migrations run through fleetops.store.migrations.upgrade_to_head(engine), "
        "not the alembic command line"
    )

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
