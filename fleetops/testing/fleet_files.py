"""Small fleet files for tests of the fleet runtime: the example services, fast checks and rollouts.

    path = write_fleet(tmp_path, {"menu": {"instances": {"min": 1, "desired": 2, "max": 3}}})

Every service runs ``examples/restaurant/services/<name>.py`` (its ``depends_on`` must be listed
too), checks health every 200 ms, drains for 200 ms and rolls one batch at a time with
MinHealthyPercentage 100 (launch before terminate). Versions ``bad`` (health fails 1 s after
start), ``hot`` (a thread burns CPU) and ``leaky`` (20 MB more memory a second, up to 256 MB) are
defined for every service. ``changes`` are merged over each service's defaults, section by section.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from fleetops.testing.local import EXAMPLES

FAST_HEALTH = {
    "path": "/health",
    "interval": "200ms",
    "timeout": "150ms",
    "healthy_threshold": 2,
    "unhealthy_threshold": 2,
}
FAST_DEPLOY = {
    "min_healthy_percent": 100,
    "max_healthy_percent": 200,
    "warmup": "0s",
    "bake_time": "0s",
    "deregistration_delay": "200ms",
}


def fleet_document(
    services: Mapping[str, Mapping[str, Any]], *, alarms: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, Any]:
    """The fleet file's content for ``services`` (name -> changes to the defaults) and ``alarms``."""
    out: dict[str, Any] = {}
    for name, changes in services.items():
        service: dict[str, Any] = {
            "run": {"command": f"{{python}} services/{name}.py", "cwd": str(EXAMPLES)},
            "instances": {"min": 1, "desired": 1, "max": 3},
            "health": dict(FAST_HEALTH),
            "deploy": dict(FAST_DEPLOY),
            "versions": {
                "bad": {"env": {"FAULT_FAIL_HEALTH_AFTER": "1s"}},
                "hot": {"env": {"FAULT_CPU_BURN": "1"}},
                "leaky": {"env": {"FAULT_MEMORY_GROWTH": "20"}},
            },
        }
        for key, value in changes.items():
            if isinstance(value, Mapping) and isinstance(service.get(key), dict):
                service[key] = {**service[key], **value}
            else:
                service[key] = value
        out[name] = service
    document = {"name": "test", "environments": {"dev": {"provider": "local"}}, "services": out}
    if alarms:
        document["alarms"] = {name: dict(alarm) for name, alarm in alarms.items()}
    return document


def write_fleet(
    folder: Path,
    services: Mapping[str, Mapping[str, Any]],
    *,
    alarms: Mapping[str, Mapping[str, Any]] | None = None,
) -> Path:
    """Write ``folder/fleet.yaml`` for ``services`` (and ``alarms``, by name); its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "fleet.yaml"
    path.write_text(yaml.safe_dump(fleet_document(services, alarms=alarms), sort_keys=False))
    return path
