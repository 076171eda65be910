"""Test helpers shipped with fleetops: a fake clock and a fake fleet for rollouts."""
