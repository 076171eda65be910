"""Executions: started_by, the authenticated caller who started one (a token's name).

Revision ID: 0023_execution_started_by
Revises: 0022_resource_tags
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023_execution_started_by"
down_revision: str | None = "0022_resource_tags"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.add_column("executions", sa.Column("started_by", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("executions") as batch:
        batch.drop_column("started_by")
