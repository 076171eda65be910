"""Test helpers shipped with fleetops, for its own tests and for anyone testing against it."""
