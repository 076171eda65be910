"""Test helpers shipped with fleetops (fake clock, ASL conformance runner...)."""
