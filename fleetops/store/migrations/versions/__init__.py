"""Migration scripts, applied in revision order by ``fleetops.store.migrations.upgrade_to_head``."""
