"""Executions: resumes, how often an execution was claimed to be resumed without settling.

Revision ID: 0021_execution_resumes
Revises: 0020_step_functions
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021_execution_resumes"
down_revision: str | None = "0020_step_functions"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.add_column("executions", sa.Column("resumes", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("executions") as batch:
        batch.drop_column("resumes")
