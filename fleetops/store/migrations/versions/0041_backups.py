"""Backups: the catalog of datastore backups and their verification by restore.

Revision ID: 0041
Revises: 0040
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0041"
down_revision: str | None = "0040"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "backups",
        sa.Column("backup_id", sa.String(100), nullable=False),
        sa.Column("environment", sa.String(100), nullable=False),
        sa.Column("datastore", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("tool", sa.String(100), nullable=False),
        sa.Column("tool_version", sa.String(200), nullable=False),
        sa.Column("source_position", sa.String(200), nullable=False),
        sa.Column("contents", sa.JSON(), nullable=False),
        sa.Column("verify_status", sa.String(20), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verify_ms", sa.Integer(), nullable=True),
        sa.Column("verify_detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("backup_id", name="pk_backups"),
    )
    op.create_index(
        "ix_backups_environment_datastore_created_at", "backups", ["environment", "datastore", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_backups_environment_datastore_created_at", "backups")
    op.drop_table("backups")
