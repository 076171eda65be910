"""Bearer tokens of the control-plane API (name, role, sha256 of the token).

Revision ID: 0002_tokens
Revises: 0001_audit_log
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_tokens"
down_revision: str | None = "0001_audit_log"
branch_labels: str | None = None
depends_on: str | None = None

_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "tokens",
        sa.Column("id", _id, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tokens"),
        sa.UniqueConstraint("name", name="uq_tokens_name"),
        sa.UniqueConstraint("token_sha256", name="uq_tokens_token_sha256"),
    )


def downgrade() -> None:
    op.drop_table("tokens")
