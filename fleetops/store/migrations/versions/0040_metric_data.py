"""Metric data: samples and downsampled periods of the fleet's metrics, CloudWatch-named.

Revision ID: 0040
Revises: 0032
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0040"
down_revision: str | None = "0032"
branch_labels: str | None = None
depends_on: str | None = None

_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "metric_data",
        sa.Column("id", _id, primary_key=True, autoincrement=True),
        sa.Column("environment", sa.String(100), nullable=False),
        sa.Column("namespace", sa.String(255), nullable=False),
        sa.Column("metric", sa.String(255), nullable=False),
        sa.Column("dimensions", sa.String(1024), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_s", sa.Integer(), nullable=False),
        sa.Column("sample_count", sa.Integer(), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("minimum", sa.Float(), nullable=False),
        sa.Column("maximum", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_metric_data"),
    )
    op.create_index(
        "ix_metric_data_environment_namespace_metric_dimensions_at",
        "metric_data",
        ["environment", "namespace", "metric", "dimensions", "at"],
    )
    op.create_index("ix_metric_data_period_s_at", "metric_data", ["period_s", "at"])


def downgrade() -> None:
    op.drop_index("ix_metric_data_period_s_at", "metric_data")
    op.drop_index("ix_metric_data_environment_namespace_metric_dimensions_at", "metric_data")
    op.drop_table("metric_data")
