"""Scaling policies put through the AWS endpoint (PutScalingPolicy, DeletePolicy), per service.

Revision ID: 0052_scaling_policies
Revises: 0051_release_target
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0052_scaling_policies"
down_revision: str | None = "0051_release_target"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "scaling_policies",
        sa.Column("environment", sa.String(100), nullable=False),
        sa.Column("service", sa.String(100), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("target_cpu", sa.Float(), nullable=True),
        sa.Column("disable_scale_in", sa.Boolean(), nullable=False),
        sa.Column("warmup_s", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("environment", "service"),
    )


def downgrade() -> None:
    op.drop_table("scaling_policies")
