"""A provider started in the folder of a control plane that was SIGKILLed adopts what it left
running: the same HAProxy and instance processes serve on, their output reaches their logs;
what is gone is not adopted, and neither is a process that only has a recorded pid."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from fleetops.providers.base import InstanceState
from fleetops.providers.local.process import (
    PidRecord,
    kill_leftovers,
    process_alive,
    process_start_time,
    read_pid_file,
    wait_gone,
    write_pid_file,
)
from fleetops.providers.local.provider import LocalProvider
from fleetops.testing.local import example_runtime
from fleetops.testing.waiting import DEADLINE, wait_until

pytestmark = pytest.mark.haproxy

# A control plane of its own: starts the provider, launches menu instances, says which (id ->
# pid) once they are in service, then waits to be killed.
_CONTROL_PLANE = """
import json, sys, time
from pathlib import Path
from fleetops.providers.base import InstanceState
from fleetops.providers.local.provider import LocalProvider
from fleetops.testing.local import example_runtime

provider = LocalProvider([example_runtime("menu")], state_dir=Path(sys.argv[1]))
provider.start()
launched = [provider.launch("menu", "v1") for _ in range(int(sys.argv[2]))]
for instance in launched:
    provider.wait_for(instance.id, InstanceState.IN_SERVICE, timeout=120)
said = {"instances": {i.id: i.pid for i in launched}, "url": provider.endpoint("menu")}
print(json.dumps(said), flush=True)
time.sleep(600)
"""


@contextmanager
def _killed_control_plane(state_dir: Path, instances: int) -> Iterator[dict[str, object]]:
    """What a control plane started (its instances' pids, menu's URL) before it was SIGKILLed;
    everything it left is stopped afterwards."""
    process = subprocess.Popen(
        [sys.executable, "-c", _CONTROL_PLANE, str(state_dir), str(instances)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        started: dict[str, object] = json.loads(process.stdout.readline())
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=DEADLINE)
        yield started
    finally:
        process.kill()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()
        wait_gone(kill_leftovers(state_dir / "pids"), timeout=DEADLINE)


def _steady(url: str, outcomes: Counter[str], stop: threading.Event) -> None:
    # One connection, never retried: every failure counts.
    with httpx.Client(timeout=DEADLINE, transport=httpx.HTTPTransport(retries=0)) as client:
        while not stop.is_set():
            try:
                outcomes[str(client.get(url).status_code)] += 1
            except httpx.HTTPError as err:
                outcomes[type(err).__name__] += 1
            stop.wait(0.01)


def test_a_restarted_provider_adopts_haproxy_and_the_instances_and_nothing_fails(tmp_path: Path) -> None:
    state = tmp_path / "state"
    outcomes: Counter[str] = Counter()
    stop = threading.Event()
    with _killed_control_plane(state, 2) as started:
        pids: dict[str, int] = started["instances"]  # type: ignore[assignment]
        url = str(started["url"])
        haproxy = read_pid_file(state / "pids" / "haproxy.pid")
        assert haproxy is not None
        load = threading.Thread(target=_steady, args=(url + "/health", outcomes, stop))
        load.start()
        try:
            # Served while no control plane runs; the request's log line waits in the raw output.
            assert httpx.get(url + "/items?while=orphaned", timeout=DEADLINE).status_code == 200
            with LocalProvider([example_runtime("menu")], state_dir=state) as again:
                wait_until(lambda: sum(outcomes.values()) > 100, what="100 requests after the restart")
                stop.set()
                load.join()
                shown = {i.id: (i.pid, i.state) for i in again.instances("menu")}
                haproxy_pid = again.haproxy.process.pid if again.haproxy.process else None
                logged = [r.get("path") for r in again.logs("menu", limit=1000) if r.get("msg") == "request"]
                servers = sorted(row.server for row in again.haproxy.api.show_stat())
        finally:
            stop.set()
            load.join()

    assert set(outcomes) == {"200"}, outcomes
    assert shown == {iid: (pid, InstanceState.IN_SERVICE) for iid, pid in pids.items()}
    assert haproxy_pid == haproxy.pid
    assert "/items" in logged
    assert servers == sorted(pids)


def test_a_dead_instance_is_not_adopted_and_a_recycled_pid_is_left_alone(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with _killed_control_plane(state, 2) as started:
        pids: dict[str, int] = started["instances"]  # type: ignore[assignment]
        dead, alive = sorted(pids)
        os.killpg(pids[dead], signal.SIGKILL)
        wait_until(lambda: not process_alive(pids[dead]), what="the killed instance's end")
        # menu-recycled's pid was given to an unrelated process since: its start time differs.
        bystander = subprocess.Popen(["sleep", "60"], start_new_session=True)
        recorded = read_pid_file(state / "pids" / f"{alive}.pid")
        assert recorded is not None
        meta = {**recorded.meta, "id": "menu-recycled"}
        start = process_start_time(bystander.pid)
        assert start is not None
        write_pid_file(
            state / "pids" / "menu-recycled.pid",
            PidRecord(bystander.pid, start - 1, recorded.argv, meta),
        )
        try:
            with LocalProvider([example_runtime("menu")], state_dir=state) as again:
                adopted = {i.id: i.pid for i in again.instances("menu")}
                again.scale("menu", 2, version="v1")
                wait_until(
                    lambda: [i.state for i in again.instances("menu")] == [InstanceState.IN_SERVICE] * 2,
                    what="two menu instances in service",
                )
                after = [i.id for i in again.instances("menu")]
                servers = sorted(row.server for row in again.haproxy.api.show_stat())
            bystander_alive = bystander.poll() is None
        finally:
            bystander.kill()
            bystander.wait()

    assert adopted == {alive: pids[alive]}
    assert after[0] == alive and after[1] not in pids
    assert servers == sorted(after)
    assert bystander_alive


def test_instances_are_adopted_behind_a_new_haproxy_when_the_old_one_is_gone(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with _killed_control_plane(state, 1) as started:
        pids: dict[str, int] = started["instances"]  # type: ignore[assignment]
        haproxy = read_pid_file(state / "pids" / "haproxy.pid")
        assert haproxy is not None
        os.killpg(haproxy.pid, signal.SIGKILL)
        wait_until(lambda: not process_alive(haproxy.pid), what="HAProxy's end")
        with LocalProvider([example_runtime("menu")], state_dir=state) as again:
            new_haproxy = again.haproxy.process.pid if again.haproxy.process else None
            wait_until(
                lambda: [i.state for i in again.instances("menu")] == [InstanceState.IN_SERVICE],
                what="the adopted instance in service behind the new HAProxy",
            )
            served = httpx.get(again.endpoint("menu") + "/health", timeout=DEADLINE).json()["instance"]
            shown = {i.id: i.pid for i in again.instances("menu")}

    assert new_haproxy != haproxy.pid
    assert shown == pids
    assert served in pids
