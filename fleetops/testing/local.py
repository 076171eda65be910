"""Helpers for tests on the local provider: the example services with fast health checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fleetops.providers.local.service import LocalHealthCheck, ServiceRuntime

# The example fleet lives next to the package in a source checkout (tests run from one).
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "restaurant"
# Checks every 200 ms, so tests see health change quickly; the timeout and grace period are
# generous because a loaded machine (CI: 2 cores, load above 10) can take seconds to start an
# instance or answer a check, and two slow answers in a row would take a healthy one out.
FAST_CHECKS = LocalHealthCheck(
    interval=0.2, timeout=3.0, healthy_threshold=2, unhealthy_threshold=2, grace_period=30
)
# The example services' dependencies (their `depends_on` in the example fleet).
EXAMPLE_DEPENDENCIES = {
    "gateway": ("auth", "menu", "orders"),
    "auth": (),
    "menu": (),
    "orders": ("menu", "payments", "notifications"),
    "payments": (),
    "notifications": (),
}


def example_runtime(name: str, **changes: Any) -> ServiceRuntime:
    """An example service as tests run it: checks every 200 ms, 5 s deregistration delay, and
    faulty versions: ``bad`` (health fails 3 s after start: long enough to come into service
    first on a loaded machine), ``slow-start`` (the port opens after 1 s), ``slow`` (every
    request but /health takes 2 s more), ``hot`` (a thread burns CPU)."""
    settings: dict[str, Any] = {
        "name": name,
        "command": f"{{python}} services/{name}.py",
        "cwd": EXAMPLES,
        "health": FAST_CHECKS,
        "depends_on": EXAMPLE_DEPENDENCIES[name],
        "deregistration_delay": 5.0,
        "stop_grace": 3.0,
        "version_env": {
            "bad": {"FAULT_FAIL_HEALTH_AFTER": "3s"},
            "slow-start": {"FAULT_SLOW_START": "1s"},
            "slow": {"FAULT_LATENCY": "2s"},
            "hot": {"FAULT_CPU_BURN": "1"},
        },
    }
    settings.update(changes)
    return ServiceRuntime(**settings)
