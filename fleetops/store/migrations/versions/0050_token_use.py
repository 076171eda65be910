"""Tokens: last use, optional expiry, and the previous secret a rotation keeps for a grace period.

Revision ID: 0050_token_use
Revises: 0043_alarm_history
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0050_token_use"
down_revision: str | None = "0043_alarm_history"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("tokens") as batch:
        batch.add_column(sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("previous_sha256", sa.String(64), nullable=True))
        batch.add_column(sa.Column("previous_expires_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_tokens_previous_sha256", ["previous_sha256"])


def downgrade() -> None:
    with op.batch_alter_table("tokens") as batch:
        batch.drop_index("ix_tokens_previous_sha256")
        for column in ("rotated_at", "previous_expires_at", "previous_sha256", "expires_at", "last_used_at"):
            batch.drop_column(column)
