"""Incidents and their timelines (``fleetops incident``).

Revision ID: 0057_incidents
Revises: 0056_launch_templates
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0057_incidents"
down_revision: str | None = "0056_launch_templates"
branch_labels: str | None = None
depends_on: str | None = None


def _id() -> sa.Column[int]:
    return sa.Column(
        "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False, autoincrement=True
    )


def upgrade() -> None:
    op.create_table(
        "incidents",
        _id(),
        sa.Column("environment", sa.String(100), nullable=False),
        sa.Column("severity", sa.String(8), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("eta_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opened_by", sa.String(200), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_by", sa.String(200), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_incidents"),
    )
    op.create_index("ix_incidents_resolved_at_id", "incidents", ["resolved_at", "id"])
    op.create_table(
        "incident_updates",
        _id(),
        sa.Column("incident_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_incident_updates"),
    )
    op.create_index("ix_incident_updates_incident_id_id", "incident_updates", ["incident_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_incident_updates_incident_id_id", table_name="incident_updates")
    op.drop_table("incident_updates")
    op.drop_index("ix_incidents_resolved_at_id", table_name="incidents")
    op.drop_table("incidents")
