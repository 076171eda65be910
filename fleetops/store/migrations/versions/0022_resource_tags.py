"""Resource tags (Step Functions TagResource).

Revision ID: 0022_resource_tags
Revises: 0021_execution_resumes
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022_resource_tags"
down_revision: str | None = "0021_execution_resumes"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "resource_tags",
        sa.Column("resource_arn", sa.String(500), primary_key=True),
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("value", sa.String(256), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("resource_tags")
