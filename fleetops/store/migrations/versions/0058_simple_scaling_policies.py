"""Simple scaling policies put through the local AWS endpoint (PutScalingPolicy with PolicyType
SimpleScaling), with when each last changed its group's capacity.

Revision ID: 0058_simple_scaling_policies
Revises: 0057_incidents
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0058_simple_scaling_policies"
down_revision: str | None = "0057_incidents"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "simple_scaling_policies",
        sa.Column("environment", sa.String(100), nullable=False),
        sa.Column("service", sa.String(100), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("adjustment_type", sa.String(40), nullable=False),
        sa.Column("scaling_adjustment", sa.Integer(), nullable=False),
        sa.Column("min_adjustment_magnitude", sa.Integer(), nullable=True),
        sa.Column("cooldown_s", sa.Integer(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("executed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("environment", "service", "name"),
    )


def downgrade() -> None:
    op.drop_table("simple_scaling_policies")
