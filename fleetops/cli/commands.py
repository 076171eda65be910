"""Imports every command module so each registers its commands on the app."""

from fleetops.cli import (  # noqa: F401
    audit,
    lock,
    maintenance,
    notifications,
    plan,
    releases,
    serve,
    tokens,
    validate,
)
