"""Task tokens of Step Functions tasks waiting for an approval, held (sealed) by the control plane.

Revision ID: 0059_held_task_tokens
Revises: 0058_simple_scaling_policies
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0059_held_task_tokens"
down_revision: str | None = "0058_simple_scaling_policies"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "held_task_tokens",
        sa.Column("execution_arn", sa.String(600), nullable=False),
        sa.Column("state", sa.String(80), nullable=False),
        sa.Column("sealed_token", sa.LargeBinary(), nullable=False),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("execution_arn"),
    )


def downgrade() -> None:
    op.drop_table("held_task_tokens")
