"""Disaster-recovery drills: the heartbeat stamps that measure data lost, the outage a drill
causes, and the report that compares what it measured with the fleet file's targets."""
