"""Helpers for tests on the local provider: the example services with fast health checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fleetops.providers.local.service import HealthCheck, ServiceRuntime

# The example fleet lives next to the package in a source checkout (tests run from one).
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "restaurant"
FAST_CHECKS = HealthCheck(
    interval=0.2, timeout=1.0, healthy_threshold=2, unhealthy_threshold=2, grace_period=15
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
    faulty versions: ``bad`` (health fails 1 s after start), ``slow-start`` (the port opens
    after 1 s), ``slow`` (every request but /health takes 1 s more), ``hot`` (a thread burns CPU)."""
    settings: dict[str, Any] = {
        "name": name,
        "command": f"{{python}} services/{name}.py",
        "cwd": EXAMPLES,
        "health": FAST_CHECKS,
        "depends_on": EXAMPLE_DEPENDENCIES[name],
        "deregistration_delay": 5.0,
        "stop_grace": 3.0,
        "version_env": {
            "bad": {"FAULT_FAIL_HEALTH_AFTER": "1s"},
            "slow-start": {"FAULT_SLOW_START": "1s"},
            "slow": {"FAULT_LATENCY": "1s"},
            "hot": {"FAULT_CPU_BURN": "1"},
        },
    }
    settings.update(changes)
    return ServiceRuntime(**settings)
