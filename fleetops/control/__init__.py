"""The control plane's in-process services (no HTTP here: ``server/`` exposes them as routes).

``fleet.py``: ``FleetRuntime``, the provider of one (fleet, environment) with its rollouts and scaling.
"""
