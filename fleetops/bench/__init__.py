"""Benchmarks run by the product itself (``fleetops bench ...``), as a client of control planes.

``sandbox.py``: copies of the example fleet in a scratch folder, each run by its own control
plane (``fleetops up``). ``concurrent.py``: N simultaneous deployments to N environments (the
seed's ``scalability_tester.py concurrent-test``). Like the CLI, this package talks to servers
over HTTP and starts them as processes; nothing below it imports it.
"""
