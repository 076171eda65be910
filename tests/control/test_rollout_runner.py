"""RolloutRunner through its FleetRuntime, on real processes behind a real HAProxy: rollouts
under load, rollback with a report, resume after a restart, fences, cancels across servers."""

from __future__ import annotations

import os
import signal
import threading
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from fleetops.errors import BadInput, Refused
from fleetops.providers.base import InstanceState
from fleetops.runbooks.ports import FENCED, RolloutRequest
from fleetops.store import Store
from fleetops.store.fleet_state import RolloutRow

from .conftest import MakeRuntime, make_runtime, wait_until

pytestmark = pytest.mark.haproxy
MENU = {"menu": {"instances": {"min": 1, "desired": 2, "max": 3}}}


def _load(url: str, stop: threading.Event, outcomes: Counter[str]) -> None:
    # One connection, no retries: every failure a user would see is counted.
    with httpx.Client(timeout=5, transport=httpx.HTTPTransport(retries=0)) as client:
        while not stop.is_set():
            try:
                outcomes[str(client.get(url).status_code)] += 1
            except httpx.HTTPError as err:
                outcomes[type(err).__name__] += 1
            stop.wait(0.01)


def test_rollout_under_load_loses_no_request(runtimes: MakeRuntime, sqlite_store: Store) -> None:
    runtime = runtimes(MENU)
    wait_until(lambda: runtime.status().ready, 15, "menu ready")
    stop, outcomes = threading.Event(), Counter[str]()
    loader = threading.Thread(
        target=_load, args=(runtime.provider.endpoint("menu") + "/items", stop, outcomes)
    )
    loader.start()
    # What counts is the load during the rollout, which is short now that a drained instance
    # goes at once (47 requests in all, once, on a loaded machine): it is counted from the
    # rollout's start to its end, with the load already answered before it starts.
    during = 0
    try:
        wait_until(lambda: outcomes.total() > 0, 15, "load answered")
        request = RolloutRequest("deploy-1:menu:2", "dev", "menu", "v2", 2)
        before = outcomes.total()
        first = runtime.start_rollout(request)
        again = runtime.start_rollout(request)
        view = runtime.wait_rollout(request.rollout_id, timeout=30)
        during = outcomes.total() - before
    finally:
        stop.set()
        loader.join()
    assert (first.rollout_id, again.rollout_id, again.started_at) == (request.rollout_id,) * 2 + (
        first.started_at,
    )
    assert (view.status, view.percentage_complete, view.failure) == ("Successful", 100, None)
    assert set(outcomes) == {"200"} and during > 10
    assert runtime.current_versions() == {"menu": "v2"}
    state = sqlite_store.service_state.get("dev", "menu")
    assert state is not None and (state.version, state.release_number) == ("v2", 2)
    # A finished rollout's id answers with it, and starts nothing.
    live = [i.id for i in runtime.provider.instances("menu")]
    assert runtime.start_rollout(request).status == "Successful"
    assert [i.id for i in runtime.provider.instances("menu")] == live


def test_a_release_that_fails_health_rolls_back_with_a_report(runtimes: MakeRuntime) -> None:
    # `bad` answers its health checks for 1 s, then fails them: the bake catches it.
    runtime = runtimes({"menu": {"deploy": {"bake_time": "3s"}}})
    wait_until(lambda: runtime.status().ready, 15, "menu ready")
    view = runtime.start_rollout(RolloutRequest("r-bad", "dev", "menu", "bad", 3))
    view = runtime.wait_rollout(view.rollout_id, timeout=30)
    assert view.status == "RollbackSuccessful"
    assert view.failure is not None
    assert "became unhealthy" in view.failure and "last health checks:" in view.failure
    assert "last log lines:" in view.failure
    assert runtime.current_versions() == {"menu": "v1"}
    # The provider did not replace the bad instances the refresh removed (replacement was suspended).
    serving = (InstanceState.PENDING, InstanceState.IN_SERVICE)
    live = [i for i in runtime.provider.instances("menu") if i.state in serving]
    assert [(i.version, i.state) for i in live] == [("v1", InstanceState.IN_SERVICE)]
    assert runtime.status().services[0].version == "v1"


def _interrupted(store: Store, status: str, environment: str = "dev") -> None:
    # As a control plane that died mid-rollout leaves it.
    store.rollouts.create(
        {
            "rollout_id": "deploy-7:menu:4",
            "environment": environment,
            "service": "menu",
            "version": "v4",
            "release_number": 4,
            "previous_version": "v1",
            "previous_release_number": 0,
            "preferences": {"aws": {"MinHealthyPercentage": 100, "MaxHealthyPercentage": 200}},
            "status": status,
            "status_reason": "",
            "percentage_complete": 0,
            "instances_to_update": 1,
            "started_at": datetime.now(UTC),
        }
    )


@pytest.mark.parametrize(
    ("interrupted", "ended", "version"),
    [
        ("InProgress", "Successful", "v4"),
        ("RollbackInProgress", "RollbackSuccessful", "v1"),
        ("Cancelling", "Cancelled", "v1"),
    ],
)
def test_an_unfinished_rollout_is_finished_after_a_restart(
    tmp_path: Path, sqlite_store: Store, interrupted: str, ended: str, version: str
) -> None:
    _interrupted(sqlite_store, interrupted)
    runtime = make_runtime(tmp_path, {"menu": {}}, sqlite_store)
    runtime.start()
    try:
        view = runtime.wait_rollout("deploy-7:menu:4", timeout=30)
        wait_until(lambda: runtime.status().ready, 15, "menu ready")
        assert (view.status, runtime.current_versions()) == (ended, {"menu": version})
        saved = sqlite_store.rollouts.get("deploy-7:menu:4")
        assert saved is not None and (saved.status, saved.ended_at is not None) == (ended, True)
        state = sqlite_store.service_state.get("dev", "menu")
        assert state is not None and state.version == version
    finally:
        runtime.stop()


def test_an_instance_lost_while_a_resumed_rollout_ran_is_launched_again_when_it_ends(
    tmp_path: Path, sqlite_store: Store
) -> None:
    # A redeploy of the version the service runs (as a rotation's), resumed after a restart: its
    # instances are on the target, so it only bakes. One of them dies meanwhile; replacement is
    # suspended during a rollout and the refresh follows only what it launched, so before the
    # fix the rollout ended Successful with one instance of two, and nothing launched another.
    sqlite_store.rollouts.create(
        {
            "rollout_id": "rotate-3:menu:1",
            "environment": "dev",
            "service": "menu",
            "version": "v1",
            "release_number": 1,
            "previous_version": "v1",
            "previous_release_number": 0,
            "preferences": {"aws": {"MinHealthyPercentage": 100, "MaxHealthyPercentage": 200, "BakeTime": 2}},
            "status": "InProgress",
            "status_reason": "",
            "percentage_complete": 50,
            "instances_to_update": 1,
            "started_at": datetime.now(UTC),
        }
    )
    runtime = make_runtime(tmp_path, MENU, sqlite_store)
    runtime.start()
    try:
        wait_until(lambda: runtime.describe_rollout("rotate-3:menu:1").status == "Baking", 15, "baking")
        lost = runtime.provider.instances("menu")[0]
        assert lost.pid is not None
        os.kill(lost.pid, signal.SIGKILL)
        view = runtime.wait_rollout("rotate-3:menu:1", timeout=30)
        assert view.status == "Successful"
        wait_until(lambda: runtime.status().ready, 15, "menu back to 2 healthy instances")
        live = [i for i in runtime.provider.instances("menu") if i.state is InstanceState.IN_SERVICE]
        assert (len(live), lost.id in {i.id for i in live}) == (2, False)
    finally:
        runtime.stop()


@pytest.mark.parametrize("action", ["start_rollout", "fence_rollout"])
def test_a_rollout_id_of_another_environment_is_refused_and_left_as_it_was(
    tmp_path: Path, sqlite_store: Store, action: str
) -> None:
    _interrupted(sqlite_store, "InProgress", environment="stage")
    runtime = make_runtime(tmp_path, {"menu": {}}, sqlite_store)
    runtime.start()
    try:
        with pytest.raises(BadInput, match="belongs to environment 'stage', not 'dev'"):
            getattr(runtime, action)(RolloutRequest("deploy-7:menu:4", "dev", "menu", "v4", 4))
        assert runtime.rolling("menu") is False
        saved = sqlite_store.rollouts.get("deploy-7:menu:4")
        assert saved is not None and (saved.environment, saved.status) == ("stage", "InProgress")
    finally:
        runtime.stop()


def test_a_cancel_asked_while_no_server_runs_the_rollout_ends_it_when_resumed(
    tmp_path: Path, sqlite_store: Store
) -> None:
    _interrupted(sqlite_store, "InProgress")
    asked = make_runtime(tmp_path, {"menu": {}}, sqlite_store).cancel_rollout("deploy-7:menu:4")
    runtime = make_runtime(tmp_path, {"menu": {}}, sqlite_store)
    runtime.start()
    try:
        view = runtime.wait_rollout("deploy-7:menu:4", timeout=30)
        assert (asked.status, view.status) == ("InProgress", "Cancelled")
        assert runtime.current_versions() == {"menu": "v1"}
    finally:
        runtime.stop()


def test_a_cancel_asked_before_a_rollout_turned_rollback_leaves_the_resumed_rollback_be(
    tmp_path: Path, sqlite_store: Store
) -> None:
    _interrupted(sqlite_store, "RollbackInProgress")
    sqlite_store.rollouts.update("deploy-7:menu:4", cancel_requested_at=datetime.now(UTC))
    # Its instances run v4 still: the resumed rollback has work to do while it saves progress.
    runtime = make_runtime(tmp_path, {"menu": {}}, sqlite_store, initial_version="v4")
    runtime.start()
    try:
        view = runtime.wait_rollout("deploy-7:menu:4", timeout=30)
        assert (view.status, runtime.current_versions()) == ("RollbackSuccessful", {"menu": "v1"})
    finally:
        runtime.stop()


def test_a_fenced_rollout_id_never_starts_even_after_a_restart(tmp_path: Path, sqlite_store: Store) -> None:
    request = RolloutRequest("d2:menu:2", "dev", "menu", "v2", 2)
    fence = make_runtime(tmp_path, {"menu": {}}, sqlite_store).fence_rollout(request)
    # Not started: a runtime that tried to launch the rollout would raise Refused.
    restarted = make_runtime(tmp_path, {"menu": {}}, sqlite_store)
    view = restarted.start_rollout(request)
    assert (fence.status, fence.fenced, fence.status_reason) == ("Cancelled", True, FENCED)
    assert (view.status, view.fenced, view.started_at) == ("Cancelled", True, fence.started_at)
    saved = sqlite_store.rollouts.get("d2:menu:2")
    assert saved is not None and (saved.status, saved.ended_at) == ("Cancelled", fence.started_at)


def test_a_start_that_loses_its_id_to_a_fence_of_another_server_launches_nothing(
    tmp_path: Path, sqlite_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Server A looks the id up and finds nothing; server B fences it before A inserts its row.
    request = RolloutRequest("d2:menu:2", "dev", "menu", "v2", 2)
    server_a = make_runtime(tmp_path, {"menu": {}}, sqlite_store)
    server_b = make_runtime(tmp_path, {"menu": {}}, sqlite_store)
    looked = sqlite_store.rollouts.get

    def look_then_fence(rollout_id: str) -> RolloutRow | None:
        found = looked(rollout_id)
        server_b.fence_rollout(request)
        return found

    monkeypatch.setattr(sqlite_store.rollouts, "get", look_then_fence)
    # Started: a runtime not started refuses before it looks for the id.
    server_a.start()
    try:
        view = server_a.start_rollout(request)
        assert (view.status, view.fenced, server_a.rolling("menu")) == ("Cancelled", True, False)
    finally:
        server_a.stop()


def test_a_rollout_refused_by_a_runtime_not_started_leaves_it_idle(
    tmp_path: Path, sqlite_store: Store
) -> None:
    runtime = make_runtime(tmp_path, {"menu": {}}, sqlite_store)
    with pytest.raises(Refused, match="the fleet runtime is not started"):
        runtime.start_rollout(RolloutRequest("d2:menu:2", "dev", "menu", "v2", 2))
    assert runtime.rolling("menu") is False
    # Nothing recorded: a later start() has no Pending rollout to start.
    assert sqlite_store.rollouts.get("d2:menu:2") is None


def test_cancel_stops_a_rollout_and_refuses_once_ended(runtimes: MakeRuntime) -> None:
    checkpoints = {"checkpoints": [50, 100], "checkpoint_delay": "30s"}
    runtime = runtimes({"menu": {"deploy": checkpoints, "instances": {"desired": 2}}})
    wait_until(lambda: runtime.status().ready, 15, "menu ready")
    view = runtime.start_rollout(RolloutRequest("r-c", "dev", "menu", "v2", 2))
    wait_until(lambda: runtime.describe_rollout("r-c").checkpoint == "50%", 20, "checkpoint 50%")
    assert runtime.cancel_rollout(view.rollout_id).status in ("Cancelling", "Cancelled")
    assert runtime.wait_rollout(view.rollout_id, timeout=20).status == "Cancelled"
    with pytest.raises(Refused, match="rollout r-c is Cancelled; it cannot be cancelled"):
        runtime.cancel_rollout("r-c")
    with pytest.raises(KeyError):
        runtime.describe_rollout("nope")


def test_a_rollout_another_server_runs_is_cancelled_through_the_store(
    runtimes: MakeRuntime, tmp_path: Path, sqlite_store: Store
) -> None:
    checkpoints = {"checkpoints": [50, 100], "checkpoint_delay": "30s"}
    services = {"menu": {"deploy": checkpoints, "instances": {"desired": 2}}}
    server_a = runtimes(services)
    server_b = make_runtime(tmp_path, services, sqlite_store)  # the same store; runs nothing
    wait_until(lambda: server_a.status().ready, 15, "menu ready")
    server_a.start_rollout(RolloutRequest("r-c", "dev", "menu", "v2", 2))
    # Server B reads the rollout from the store, where A saves its progress.
    wait_until(lambda: server_b.describe_rollout("r-c").checkpoint == "50%", 20, "checkpoint 50%")
    asked = server_b.cancel_rollout("r-c")
    assert (asked.status, asked.checkpoint) == ("InProgress", "50%")
    assert server_a.wait_rollout("r-c", timeout=20).status == "Cancelled"
    assert server_b.describe_rollout("r-c").status == "Cancelled"
    with pytest.raises(Refused, match="rollout r-c is Cancelled; it cannot be cancelled"):
        server_b.cancel_rollout("r-c")


def test_a_failed_progress_save_is_logged_and_the_saver_goes_on(
    runtimes: MakeRuntime,
    tmp_path: Path,
    sqlite_store: Store,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The store fails one progress save (a database hiccup, injected); the saver logs it and
    # keeps saving, so a cancel asked on another server still reaches the rollout.
    checkpoints = {"checkpoints": [50, 100], "checkpoint_delay": "30s"}
    services = {"menu": {"deploy": checkpoints, "instances": {"desired": 2}}}
    server_a = runtimes(services)
    server_b = make_runtime(tmp_path, services, sqlite_store)
    wait_until(lambda: server_a.status().ready, 15, "menu ready")
    update, failed = sqlite_store.rollouts.update, threading.Event()

    def fail_once(rollout_id: str, **values: object) -> None:
        if not failed.is_set():
            failed.set()
            raise OSError("disk I/O error")
        update(rollout_id, **values)  # type: ignore[arg-type]

    monkeypatch.setattr(sqlite_store.rollouts, "update", fail_once)
    server_a.start_rollout(RolloutRequest("r-c", "dev", "menu", "v2", 2))
    wait_until(lambda: server_b.describe_rollout("r-c").checkpoint == "50%", 20, "checkpoint 50%")
    assert failed.is_set()
    server_b.cancel_rollout("r-c")
    assert server_a.wait_rollout("r-c", timeout=20).status == "Cancelled"
    assert [r.getMessage() for r in caplog.records if r.name == "fleetops.control.rollout_runner"] == [
        "saving the progress of rollout r-c failed; trying again in 0.1s"
    ]
