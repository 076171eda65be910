"""Backups of the local sandbox's datastores: taken with each engine's own tool (``take``), and
verified by restoring them into a scratch server and counting what is there (``verify``)."""
