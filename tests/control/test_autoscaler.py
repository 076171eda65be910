"""Target tracking on CPU with real processes: burn CPU, scale out; remove the load, scale in."""

from __future__ import annotations

import pytest

from fleetops.control.fleet import RuntimeSettings
from fleetops.runbooks.ports import RolloutRequest

from .conftest import MakeRuntime, wait_until

pytestmark = pytest.mark.haproxy
SCALED = {
    "menu": {
        "instances": {"min": 1, "desired": 1, "max": 2},
        # A low target: on a busy 2-core machine a spinning thread may get well under one core.
        "scaling": {"target_cpu": 20, "scale_out_cooldown": "1s", "scale_in_cooldown": "1s"},
    }
}


def test_cpu_load_scales_out_and_its_end_scales_back_in(runtimes: MakeRuntime) -> None:
    # `hot` instances keep a thread spinning (FAULT_CPU_BURN=1): about one core each.
    settings = RuntimeSettings(failure_timeout_s=10, save_interval_s=0.1, scale_interval_s=0.5)
    runtime = runtimes(SCALED, initial_version="hot", settings=settings)

    wait_until(lambda: runtime.status().services[0].desired == 2, 30, "a scale-out to 2")
    wait_until(lambda: runtime.status().ready, 15, "2 healthy hot instances")
    scale_out = runtime.scaling_activities("menu")[-1]
    assert (scale_out.service, scale_out.before, scale_out.after) == ("menu", 1, 2)
    assert scale_out.cause.startswith("CPU ") and scale_out.cause.endswith("% above target 20%")

    # Remove the load: roll the service to a version that does not burn CPU.
    view = runtime.start_rollout(RolloutRequest("cool-down", "dev", "menu", "v1", 1))
    assert runtime.wait_rollout(view.rollout_id, timeout=30).status == "Successful"

    wait_until(lambda: runtime.status().services[0].desired == 1, 30, "a scale-in to 1")
    wait_until(lambda: len(runtime.provider.instances("menu")) == 1, 15, "one instance left")
    scale_in = runtime.scaling_activities()[0]
    assert (scale_in.before, scale_in.after) == (2, 1)
    assert scale_in.cause.endswith("% below target 20%")
