"""Imports every command module so each registers its commands on the app."""

from fleetops.cli import audit, serve, sfn, tokens  # noqa: F401
