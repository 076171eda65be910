"""Recurring maintenance: schedules (cron, length) the control plane opens windows from.

Revision ID: 0054_maintenance_schedules
Revises: 0053_backup_tag
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0054_maintenance_schedules"
down_revision: str | None = "0053_backup_tag"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "maintenance_schedules",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False, autoincrement=True
        ),
        sa.Column("scope", sa.String(100), nullable=False),
        sa.Column("cron", sa.String(200), nullable=False),
        sa.Column("duration_s", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_maintenance_schedules"),
    )


def downgrade() -> None:
    op.drop_table("maintenance_schedules")
