"""Imports every command module so each registers its commands on the app."""

from fleetops.cli import audit, serve, tokens  # noqa: F401
from fleetops.cli import plan, validate  # noqa: F401
