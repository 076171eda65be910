"""Secret versions name the login their value is the password of (alternating-users rotation).

Revision ID: 0055_secret_usernames
Revises: 0054_maintenance_schedules
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0055_secret_usernames"
down_revision: str | None = "0054_maintenance_schedules"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("secret_versions") as batch:
        batch.add_column(sa.Column("username", sa.String(63), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("secret_versions") as batch:
        batch.drop_column("username")
