"""Backups: a tag saying why one was taken (pre-restore, scheduled).

Revision ID: 0053_backup_tag
Revises: 0052_scaling_policies
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0053_backup_tag"
down_revision: str | None = "0052_scaling_policies"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.add_column("backups", sa.Column("tag", sa.String(40), nullable=True))


def downgrade() -> None:
    op.drop_column("backups", "tag")
