"""Built-in runbooks: ASL definitions (``*.asl.json`` next to this file) and their task handlers.

    deps = RunbookDeps(store, fleet=lambda _environment: fleet, runtime_for=runtimes.__getitem__)
    register_handlers(registry, deps)     # RunbookDeps, register_handlers: fleetops.runbooks.wiring
    engine.start_execution(definition("deploy"), {"environment": "dev", "version": "v2"})

The definitions run unchanged on any engine that has the handlers registered; users may copy
one and add states (an approval, a smoke test) and run it the same way. The handlers act on a
fleet through the port in ``ports.py``; what the control plane reads of a deploy (the version
each service is asked for, the approval it waits for, the error of a rejection) is exported by
``wiring.py``. This module holds only the definitions, so what reads them alone (``fleetops sfn
export``, the worker: CLI commands) does not load the handlers and the store behind them.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

RUNBOOKS = (
    "deploy",
    "rollback",
    "restore",
    "rotate-secret",
    "drill-datastore-loss",
    "drill-instance-failure",
    "drill-control-plane-crash",
    "drill-environment-failover",
)
"""The built-in runbooks, by name (the state machine name in the server)."""


@cache
def definition_text(name: str) -> str:
    """The ASL text of built-in runbook ``name``."""
    if name not in RUNBOOKS:
        raise KeyError(f"no built-in runbook {name!r} (known: {', '.join(RUNBOOKS)})")
    return resources.files(__package__).joinpath(f"{name}.asl.json").read_text(encoding="utf-8")


def definition(name: str) -> dict[str, Any]:
    """The ASL definition of built-in runbook ``name``, as JSON values."""
    value: dict[str, Any] = json.loads(definition_text(name))
    return value


__all__ = ["RUNBOOKS", "definition", "definition_text"]
