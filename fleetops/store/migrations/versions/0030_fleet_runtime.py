"""Fleet runtime: service_state (version, release, desired per service) and rollouts.

Revision ID: 0030
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision: str | None = "0013"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "service_state",
        sa.Column("environment", sa.String(100), nullable=False),
        sa.Column("service", sa.String(100), nullable=False),
        sa.Column("version", sa.String(200), nullable=False),
        sa.Column("release_number", sa.Integer(), nullable=False),
        sa.Column("desired", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("environment", "service", name="pk_service_state"),
    )
    op.create_table(
        "rollouts",
        sa.Column("rollout_id", sa.String(300), nullable=False),
        sa.Column("environment", sa.String(100), nullable=False),
        sa.Column("service", sa.String(100), nullable=False),
        sa.Column("version", sa.String(200), nullable=False),
        sa.Column("release_number", sa.Integer(), nullable=False),
        sa.Column("previous_version", sa.String(200), nullable=True),
        sa.Column("previous_release_number", sa.Integer(), nullable=True),
        sa.Column("preferences", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=False),
        sa.Column("percentage_complete", sa.Integer(), nullable=False),
        sa.Column("instances_to_update", sa.Integer(), nullable=False),
        sa.Column("checkpoint", sa.String(20), nullable=True),
        sa.Column("failure", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("rollout_id", name="pk_rollouts"),
    )
    op.create_index(
        "ix_rollouts_environment_service_started_at", "rollouts", ["environment", "service", "started_at"]
    )
    op.create_index("ix_rollouts_status", "rollouts", ["status"])


def downgrade() -> None:
    op.drop_index("ix_rollouts_status", "rollouts")
    op.drop_index("ix_rollouts_environment_service_started_at", "rollouts")
    op.drop_table("rollouts")
    op.drop_table("service_state")
