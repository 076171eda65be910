"""The local AWS endpoint's launch template pointers (default version, the group's version) and
version descriptions, kept across restarts (they were in the control plane's memory).

Revision ID: 0056_launch_templates
Revises: 0055_secret_usernames
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0056_launch_templates"
down_revision: str | None = "0055_secret_usernames"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "launch_templates",
        sa.Column("environment", sa.String(100), nullable=False),
        sa.Column("service", sa.String(100), nullable=False),
        sa.Column("default_version", sa.Integer(), nullable=True),
        sa.Column("group_version", sa.String(20), nullable=True),
        sa.Column("descriptions", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("environment", "service"),
    )


def downgrade() -> None:
    op.drop_table("launch_templates")
