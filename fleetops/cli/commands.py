"""Imports every command module so each registers its commands on the app."""

from fleetops.cli import audit, lock, maintenance, plan, releases, serve, tokens, validate  # noqa: F401
