"""FleetRuntime on real processes behind a real HAProxy: desired state, status, scale, logs, stop
(its rollouts: ``test_rollout_runner.py``)."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from fleetops.control.fleet import RuntimeSettings
from fleetops.errors import BadInput
from fleetops.providers.base import InstanceState
from fleetops.providers.local.process import process_alive
from fleetops.store import Store

from .conftest import MakeRuntime, make_runtime, wait_until

pytestmark = pytest.mark.haproxy
MENU = {"menu": {"instances": {"min": 1, "desired": 2, "max": 3}}}


def test_start_brings_every_service_to_its_desired_state(runtimes: MakeRuntime) -> None:
    runtime = runtimes(MENU)
    wait_until(lambda: runtime.status().ready, 15, "menu ready")
    menu = runtime.status().services[0]
    assert (menu.name, menu.version, menu.desired, menu.healthy, menu.versions) == (
        "menu",
        "v1",
        2,
        2,
        ("v1",),
    )
    assert runtime.current_versions() == {"menu": "v1"}
    assert httpx.get(menu.endpoint + "/items").status_code == 200


def _releases(store: Store) -> list[tuple[str, int, str, str, str]]:
    return [(r.service, r.number, r.version, str(r.status), r.execution_id) for r in store.releases.list()]


def test_start_records_each_services_first_release_verified_once_healthy(
    runtimes: MakeRuntime, sqlite_store: Store
) -> None:
    runtime = runtimes(MENU)
    wait_until(lambda: runtime.status().ready, 15, "menu ready")
    wait_until(lambda: _releases(sqlite_store)[0][3] == "verified", 5, "menu's release verified")
    assert _releases(sqlite_store) == [("menu", 1, "v1", "verified", "up")]
    assert runtime.status().services[0].release_number == 1


def test_reading_the_status_verifies_no_release(runtimes: MakeRuntime, sqlite_store: Store) -> None:
    # A viewer's GET /fleet is a read: only the runtime's own look (here not before an hour
    # has passed since its first, made before menu was ready) marks the first release verified.
    runtime = runtimes(MENU, settings=RuntimeSettings(failure_timeout_s=10, verify_interval_s=3600))
    wait_until(lambda: runtime.status().ready, 15, "menu ready")
    assert runtime.status().ready
    assert _releases(sqlite_store) == [("menu", 1, "v1", "pinned", "up")]


def _start_until_ready_and_stop(folder: Path, store: Store) -> None:
    runtime = make_runtime(folder, MENU, store)
    runtime.start()
    try:
        wait_until(lambda: runtime.status().ready, 15, "menu ready")
        wait_until(lambda: _releases(store)[0][3] == "verified", 5, "menu's release verified")
    finally:
        runtime.stop()


def test_a_restart_records_no_release(tmp_path: Path, sqlite_store: Store) -> None:
    _start_until_ready_and_stop(tmp_path, sqlite_store)
    _start_until_ready_and_stop(tmp_path, sqlite_store)
    assert _releases(sqlite_store) == [("menu", 1, "v1", "verified", "up")]


def test_status_shows_each_instances_cpu(runtimes: MakeRuntime) -> None:
    runtime = runtimes(MENU)
    wait_until(lambda: runtime.status().ready, 15, "menu ready")
    runtime.autoscaler.step()  # CPU is the difference between two samples
    runtime.autoscaler.step()
    cpu = [i.cpu_percent for i in runtime.status().services[0].instances]
    assert len(cpu) == 2 and all(c is not None and 0 <= c <= 200 for c in cpu)


def test_scale_within_bounds(runtimes: MakeRuntime, sqlite_store: Store) -> None:
    runtime = runtimes(MENU)
    runtime.scale("menu", 3)
    wait_until(lambda: runtime.status().services[0].healthy == 3, 15, "3 healthy menu instances")
    assert sqlite_store.service_state.get("dev", "menu").desired == 3  # type: ignore[union-attr]
    with pytest.raises(
        BadInput, match=r"desired count 4 for 'menu' is outside its instances min..max \(1..3\)"
    ):
        runtime.scale("menu", 4)
    runtime.scale("menu", 1)
    wait_until(lambda: len(runtime.provider.instances("menu")) == 1, 15, "menu back to one instance")


def test_logs_filtered_with_a_pattern(runtimes: MakeRuntime) -> None:
    runtime = runtimes({"menu": {}})
    wait_until(lambda: runtime.status().ready, 15, "menu ready")
    httpx.get(runtime.provider.endpoint("menu") + "/items/999")
    wait_until(lambda: bool(runtime.logs("menu", pattern="{ $.status = 404 }")), 5, "the 404 logged")
    found = runtime.logs("menu", pattern="{ $.status = 404 }")
    assert [(r["path"], r["status"]) for r in found] == [("/items/999", 404)]
    assert all("/health" not in str(r) for r in runtime.logs("menu", limit=20, pattern="-health"))


def test_stop_leaves_no_process(tmp_path: Path, sqlite_store: Store) -> None:
    runtime = make_runtime(tmp_path, MENU, sqlite_store)
    runtime.start()
    wait_until(lambda: runtime.status().ready, 15, "menu ready")
    pids = [i.pid for i in runtime.provider.instances("menu") if i.pid is not None]
    pids.append(int((tmp_path / ".fleetops" / "pids" / "haproxy.pid").read_text().split()[0]))
    runtime.stop()
    assert [pid for pid in pids if process_alive(pid)] == []
    assert os.listdir(tmp_path / ".fleetops" / "pids") == []
    assert all(
        i.state is InstanceState.TERMINATED
        for i in runtime.provider.instances("menu", include_terminated=True)
    )
