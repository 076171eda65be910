from __future__ import annotations

from fleetops.providers import base, local


def test_the_local_providers_public_names() -> None:
    assert local.__all__ == ["LocalHealthCheck", "LocalProvider", "ServiceRuntime"]


def test_the_provider_protocols_methods() -> None:
    methods = {name for name in vars(base.Provider) if not name.startswith("_")}

    assert methods == {
        "start",
        "stop",
        "endpoint",
        "launch",
        "deregister",
        "terminate",
        "instances",
        "instance",
    } | {
        "target_stats",
        "logs",
    }
