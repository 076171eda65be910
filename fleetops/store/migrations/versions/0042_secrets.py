"""Secrets: versions (encrypted values), staging labels and their history.

Revision ID: 0042_secrets
Revises: 0041
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0042_secrets"
down_revision: str | None = "0041"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "secret_versions",
        sa.Column("environment", sa.String(100), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("version_id", sa.String(64), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("environment", "name", "version_id", name="pk_secret_versions"),
    )
    op.create_table(
        "secret_stages",
        sa.Column("environment", sa.String(100), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("version_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("environment", "name", "stage", name="pk_secret_stages"),
    )
    op.create_table(
        "secret_events",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("environment", sa.String(100), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("version_id", sa.String(64), nullable=True),
        sa.Column("by", sa.String(200), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_secret_events"),
    )
    op.create_index("ix_secret_events_environment_name_id", "secret_events", ["environment", "name", "id"])


def downgrade() -> None:
    op.drop_index("ix_secret_events_environment_name_id", table_name="secret_events")
    op.drop_table("secret_events")
    op.drop_table("secret_stages")
    op.drop_table("secret_versions")
