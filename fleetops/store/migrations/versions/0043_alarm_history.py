"""Alarm history (state changes and actions, as DescribeAlarmHistory lists them) and the alarms
whose actions are disabled.

Revision ID: 0043_alarm_history
Revises: 0042_secrets
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0043_alarm_history"
down_revision: str | None = "0042_secrets"
branch_labels: str | None = None
depends_on: str | None = None

_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "alarm_history",
        sa.Column("id", _id, primary_key=True, autoincrement=True),
        sa.Column("environment", sa.String(100), nullable=False),
        sa.Column("alarm", sa.String(255), nullable=False),
        sa.Column("service", sa.String(100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("old_state", sa.String(30), nullable=True),
        sa.Column("new_state", sa.String(30), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_alarm_history"),
    )
    op.create_index("ix_alarm_history_environment_alarm_at", "alarm_history", ["environment", "alarm", "at"])
    op.create_table(
        "alarm_actions_disabled",
        sa.Column("environment", sa.String(100), nullable=False),
        sa.Column("alarm", sa.String(255), nullable=False),
        sa.Column("service", sa.String(100), nullable=False),
        sa.Column("by", sa.String(200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("environment", "alarm", "service", name="pk_alarm_actions_disabled"),
    )


def downgrade() -> None:
    op.drop_table("alarm_actions_disabled")
    op.drop_index("ix_alarm_history_environment_alarm_at", "alarm_history")
    op.drop_table("alarm_history")
