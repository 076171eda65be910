"""Releases: immutable, numbered (service, version, config, secret versions) per environment.

Revision ID: 0010
Revises: 0002_tokens

The database itself refuses to change what a release pinned (a trigger on SQLite and on
PostgreSQL): only its status and the times of its status changes may be updated.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision: str | None = "0002_tokens"
branch_labels: str | None = None
depends_on: str | None = None

_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_PINNED = (
    "environment, service, number, version, config, secret_versions, execution_id, created_at, created_by"
)
_MESSAGE = "releases are immutable: only status, verified_at and finished_at may change"


def upgrade() -> None:
    op.create_table(
        "releases",
        sa.Column("id", _id, primary_key=True, autoincrement=True),
        sa.Column("environment", sa.String(100), nullable=False),
        sa.Column("service", sa.String(100), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(200), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("secret_versions", sa.JSON(), nullable=False),
        sa.Column("execution_id", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_releases"),
        sa.UniqueConstraint(
            "environment", "service", "number", name="uq_releases_environment_service_number"
        ),
        sa.UniqueConstraint(
            "environment", "service", "execution_id", name="uq_releases_environment_service_execution_id"
        ),
    )
    op.create_index(
        "ix_releases_environment_service_status_number",
        "releases",
        ["environment", "service", "status", "number"],
    )
    if op.get_bind().dialect.name == "postgresql":
        columns = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in _PINNED.split(", "))
        # JSON has no equality operator in PostgreSQL: compare its text.
        columns = columns.replace(
            "NEW.config IS DISTINCT FROM OLD.config", "NEW.config::text <> OLD.config::text"
        )
        columns = columns.replace(
            "NEW.secret_versions IS DISTINCT FROM OLD.secret_versions",
            "NEW.secret_versions::text <> OLD.secret_versions::text",
        )
        op.execute(
            f"""
            CREATE FUNCTION releases_immutable() RETURNS trigger AS $$
            BEGIN
                IF {columns} THEN
                    RAISE EXCEPTION '{_MESSAGE}';
                END IF;
                RETURN NEW;
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER releases_immutable BEFORE UPDATE ON releases "
            "FOR EACH ROW EXECUTE FUNCTION releases_immutable()"
        )
    else:
        op.execute(
            f"CREATE TRIGGER releases_immutable BEFORE UPDATE OF {_PINNED} ON releases "
            f"BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER releases_immutable ON releases")
        op.execute("DROP FUNCTION releases_immutable()")
    else:
        op.execute("DROP TRIGGER releases_immutable")
    op.drop_index("ix_releases_environment_service_status_number", "releases")
    op.drop_table("releases")
