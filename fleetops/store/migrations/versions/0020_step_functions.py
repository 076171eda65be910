"""Step Functions: state machines, executions (with leases), history events, activities, task
tokens and the task callbacks forwarded between servers.

Revision ID: 0020_step_functions
Revises: 0002_tokens
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020_step_functions"
down_revision: str | None = "0002_tokens"
branch_labels: str | None = None
depends_on: str | None = None


def _when(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "state_machines",
        sa.Column("arn", sa.String(500), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("role_arn", sa.String(500), nullable=False),
        _when("created_at"),
        _when("updated_at"),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("arn", name="pk_state_machines"),
        sa.UniqueConstraint("name", name="uq_state_machines_name"),
    )
    op.create_table(
        "executions",
        sa.Column("arn", sa.String(500), nullable=False),
        sa.Column("state_machine_arn", sa.String(500), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("input", sa.Text(), nullable=False),
        sa.Column("output", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("cause", sa.Text(), nullable=True),
        _when("start_date"),
        _when("stop_date", nullable=True),
        sa.Column("lease_owner", sa.String(200), nullable=True),
        _when("lease_expires", nullable=True),
        sa.PrimaryKeyConstraint("arn", name="pk_executions"),
    )
    op.create_index(
        "ix_executions_state_machine_arn_start_date", "executions", ["state_machine_arn", "start_date"]
    )
    op.create_index("ix_executions_status_lease_expires", "executions", ["status", "lease_expires"])
    op.create_table(
        "history_events",
        sa.Column("execution_arn", sa.String(500), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("previous_event_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(60), nullable=False),
        _when("timestamp"),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("execution_arn", "id", name="pk_history_events"),
    )
    op.create_table(
        "activities",
        sa.Column("arn", sa.String(500), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        _when("created_at"),
        sa.PrimaryKeyConstraint("arn", name="pk_activities"),
        sa.UniqueConstraint("name", name="uq_activities_name"),
    )
    op.create_table(
        "task_tokens",
        sa.Column("token", sa.String(200), nullable=False),
        sa.Column("execution_arn", sa.String(500), nullable=False),
        sa.PrimaryKeyConstraint("token", name="pk_task_tokens"),
    )
    op.create_table(
        "task_callbacks",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("token", sa.String(200), nullable=False),
        sa.Column("execution_arn", sa.String(500), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("output", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("cause", sa.Text(), nullable=True),
        _when("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_task_callbacks"),
    )
    op.create_index("ix_task_callbacks_execution_arn", "task_callbacks", ["execution_arn"])


def downgrade() -> None:
    op.drop_index("ix_task_callbacks_execution_arn", table_name="task_callbacks")
    op.drop_table("task_callbacks")
    op.drop_table("task_tokens")
    op.drop_table("activities")
    op.drop_table("history_events")
    op.drop_index("ix_executions_status_lease_expires", table_name="executions")
    op.drop_index("ix_executions_state_machine_arn_start_date", table_name="executions")
    op.drop_table("executions")
    op.drop_table("state_machines")
