"""Releases record what they became on their provider: a launch template version number or a
task definition ARN (aws), so a rollback names it from fleetops' own record.

Revision ID: 0051_release_target
Revises: 0050_token_use
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0051_release_target"
down_revision: str | None = "0050_token_use"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("releases") as batch:
        batch.add_column(sa.Column("provider_target", sa.String(400), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("releases") as batch:
        batch.drop_column("provider_target")
