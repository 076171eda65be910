"""Persistence: SQLAlchemy tables, repositories and Alembic migrations (the only SQL in fleetops)."""
