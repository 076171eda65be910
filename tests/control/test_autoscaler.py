"""Target tracking on CPU with real processes: burn CPU, scale out; remove the load, scale in.
And which policy the autoscaler runs: a put one (AWS endpoint) over the fleet file's."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from fleetops.control.fleet import RuntimeSettings
from fleetops.ops.autoscaling import TargetTracking
from fleetops.runbooks.ports import RolloutRequest
from fleetops.store import Store
from fleetops.store.scaling_policies import ScalingPolicyRow

from .conftest import MakeRuntime, make_runtime, wait_until

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


def test_a_policy_put_through_the_aws_endpoint_replaces_the_fleet_files_across_a_restart(
    tmp_path: Path, sqlite_store: Store
) -> None:
    at = datetime(2026, 12, 7, tzinfo=UTC)
    sqlite_store.scaling_policies.put(ScalingPolicyRow("dev", "menu", "p", 55.0, True, 30, at, "ana"))
    runtime = make_runtime(tmp_path, SCALED, sqlite_store)  # not started: a new control plane
    assert runtime.autoscaler.policies["menu"].config == TargetTracking(
        target_cpu=55.0, min=1, max=2, scale_out_cooldown_s=1.0, scale_in_cooldown_s=1.0, warmup_s=30.0,
        disable_scale_in=True,
    )  # fmt: skip
    sqlite_store.scaling_policies.put(ScalingPolicyRow("dev", "menu", "p", None, False, None, at, "ana"))
    runtime.apply_scaling_policy("menu")
    assert "menu" not in runtime.autoscaler.policies
