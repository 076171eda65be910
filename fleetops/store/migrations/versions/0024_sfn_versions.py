"""Step Functions versions and aliases; executions remember the version and alias they started
through, and how often they were redriven.

Revision ID: 0024_sfn_versions
Revises: 0023_execution_started_by
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024_sfn_versions"
down_revision: str | None = "0023_execution_started_by"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "state_machine_versions",
        sa.Column("arn", sa.String(500), nullable=False),
        sa.Column("state_machine_arn", sa.String(500), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("role_arn", sa.String(500), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("arn"),
        sa.UniqueConstraint("state_machine_arn", "version"),
    )
    op.create_table(
        "state_machine_aliases",
        sa.Column("arn", sa.String(500), nullable=False),
        sa.Column("state_machine_arn", sa.String(500), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("routing", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("arn"),
    )
    op.add_column("executions", sa.Column("state_machine_version_arn", sa.String(500), nullable=True))
    op.add_column("executions", sa.Column("state_machine_alias_arn", sa.String(500), nullable=True))
    op.add_column("executions", sa.Column("redrive_count", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("executions", sa.Column("redrive_date", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("executions") as batch:
        for column in (
            "redrive_date",
            "redrive_count",
            "state_machine_alias_arn",
            "state_machine_version_arn",
        ):
            batch.drop_column(column)
    op.drop_table("state_machine_aliases")
    op.drop_table("state_machine_versions")
