"""Stopped executions: the fence that keeps a stopped deployment's late handlers from locking or pinning.

Revision ID: 0031
Revises: 0030
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision: str | None = "0030"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "stopped_executions",
        sa.Column("execution_id", sa.String(200), nullable=False),
        sa.Column("stopped_by", sa.String(200), nullable=False),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("execution_id", name="pk_stopped_executions"),
    )


def downgrade() -> None:
    op.drop_table("stopped_executions")
