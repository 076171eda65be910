"""The local provider with real processes (the example services) behind a real HAProxy."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import threading
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from fleetops.errors import BadInput, FleetopsError
from fleetops.providers.base import InstanceInfo, InstanceState, Provider, TargetHealth
from fleetops.providers.local import provider as provider_module
from fleetops.providers.local.process import group_alive, process_alive, process_start_time
from fleetops.providers.local.provider import LocalProvider
from fleetops.providers.local.service import ServiceRuntime
from fleetops.redaction import secret_redactor
from fleetops.testing.local import example_runtime as runtime
from fleetops.testing.waiting import DEADLINE, wait_until

pytestmark = pytest.mark.haproxy
UP = InstanceState.IN_SERVICE
ENDED = InstanceState.TERMINATED


class _Load:
    """Clients sending requests through the load balancer until stopped; counts the outcomes."""

    def __init__(self, url: str, clients: int = 3) -> None:
        self.url = url
        self.outcomes: Counter[str] = Counter()
        self.served_by: Counter[str] = Counter()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(clients)]

    def _run(self) -> None:
        with httpx.Client(timeout=DEADLINE) as client:
            while not self._stop.is_set():
                try:
                    response = client.get(self.url)
                    outcome = str(response.status_code)
                    body = response.json()
                    instance = body.get("instance", "") if isinstance(body, dict) else ""
                except httpx.HTTPError as err:
                    outcome, instance = type(err).__name__, ""
                with self._lock:
                    self.outcomes[outcome] += 1
                    self.served_by[instance] += 1

    def __enter__(self) -> _Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()


def _launch_in_service(
    provider: LocalProvider, service: str, version: str = "v1", count: int = 1
) -> list[InstanceInfo]:
    launched = [provider.launch(service, version) for _ in range(count)]
    return [provider.wait_for(instance.id, UP, timeout=DEADLINE) for instance in launched]


def test_the_local_provider_implements_the_provider_protocol(provider: LocalProvider) -> None:
    assert isinstance(provider, Provider)


def test_two_instances_both_receive_traffic_through_the_frontend(provider: LocalProvider) -> None:
    first, second = _launch_in_service(provider, "menu", count=2)

    with httpx.Client() as client:
        served = Counter(
            client.get(provider.endpoint("menu") + "/health").json()["instance"] for _ in range(10)
        )

    assert served == {first.id: 5, second.id: 5}
    assert {(i.id, i.state, i.health) for i in provider.instances("menu")} == {
        (first.id, UP, TargetHealth.HEALTHY),
        (second.id, UP, TargetHealth.HEALTHY),
    }


def test_instances_get_their_identity_in_env_and_log_requests_as_json(provider: LocalProvider) -> None:
    (instance,) = _launch_in_service(provider, "menu", "v7")

    health = httpx.get(provider.endpoint("menu") + "/health").json()

    assert (health["status"], health["version"], health["instance"]) == ("ok", "v7", instance.id)
    requests = [r for r in provider.logs("menu", instance_id=instance.id) if r.get("msg") == "request"]
    assert set(requests[-1]) >= {"timestamp", "level", "msg", "method", "path", "status", "response_time_ms"}
    assert (requests[-1]["version"], requests[-1]["instance"]) == ("v7", instance.id)


def test_rolling_replacement_with_drain_loses_no_request(provider: LocalProvider) -> None:
    old_a, old_b = _launch_in_service(provider, "menu", count=2)

    with _Load(provider.endpoint("menu") + "/health") as load:
        wait_until(lambda: load.outcomes.total() > 0, what="the first response")
        for old in (old_a, old_b):
            (new,) = _launch_in_service(provider, "menu", "v2")
            provider.terminate(old.id)
            assert provider.wait_for(old.id, ENDED, timeout=DEADLINE).exit_code == -signal.SIGTERM
            wait_until(lambda: load.served_by[new.id] > 0, what=f"a request served by {new.id}")  # noqa: B023

    assert set(load.outcomes) == {"200"}, load.outcomes
    assert load.outcomes["200"] > 100


def test_an_instance_killed_with_sigkill_is_replaced(provider: LocalProvider) -> None:
    (victim,) = _launch_in_service(provider, "menu")
    assert victim.pid is not None

    os.kill(victim.pid, signal.SIGKILL)

    ended = provider.wait_for(victim.id, ENDED, timeout=DEADLINE)
    assert ended.exit_code == -signal.SIGKILL
    replacement = wait_until(
        lambda: next((i for i in provider.instances("menu") if i.replaces == victim.id), None),
        what="a replacement",
    )
    assert provider.wait_for(replacement.id, UP, timeout=DEADLINE).version == "v1"


def test_an_instance_failing_health_is_taken_out_of_rotation_and_replaced(provider: LocalProvider) -> None:
    (good,) = _launch_in_service(provider, "menu")

    with _Load(provider.endpoint("menu") + "/items") as load:
        (bad,) = _launch_in_service(provider, "menu", "bad")  # FAULT_FAIL_HEALTH_AFTER=3s
        unhealthy = TargetHealth.UNHEALTHY
        wait_until(lambda: provider.instance(bad.id).health is unhealthy, what="the bad instance unhealthy")

    assert set(load.outcomes) == {"200"}, load.outcomes
    assert provider.instance(bad.id).health_reason.startswith(
        "failed health checks: DOWN: last check L7STS 503"
    )
    assert provider.instance(good.id).state is UP
    wait_until(lambda: any(i.replaces == bad.id for i in provider.instances("menu")), what="a replacement")


def test_show_stat_counts_requests_per_instance(provider: LocalProvider) -> None:
    first, second = _launch_in_service(provider, "menu", count=2)

    with httpx.Client() as client:
        for path in ["/items"] * 6 + ["/items/99"] * 2:
            client.get(provider.endpoint("menu") + path)

    stats = {s.instance_id: s for s in provider.target_stats("menu")}
    assert set(stats) == {first.id, second.id}
    assert sum(s.requests_total for s in stats.values()) == 8
    assert sum(s.responses_by_class["2xx"] for s in stats.values()) == 6
    assert sum(s.responses_by_class["4xx"] for s in stats.values()) == 2
    assert {(s.status, s.check_status, s.check_code) for s in stats.values()} == {("UP", "L7OK", 200)}


def test_scale_launches_and_terminates_to_the_desired_count(provider: LocalProvider) -> None:
    launched = provider.scale("menu", 2, version="v1")
    for instance in launched:
        provider.wait_for(instance.id, UP, timeout=DEADLINE)

    terminated = provider.scale("menu", 1, version="v1")

    assert len(launched) == 2
    assert [i.id for i in terminated] == [launched[1].id]  # the newest goes first
    provider.wait_for(launched[1].id, ENDED, timeout=DEADLINE)
    assert [i.id for i in provider.instances("menu")] == [launched[0].id]


def test_env_carries_secrets_and_dependency_urls_and_not_the_servers_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLEETOPS_DATABASE_URL", "postgresql://control:plane@db/fleetops")
    printer = ServiceRuntime(
        name="printer",
        command='{python} -c "import json, os; print(json.dumps(dict(os.environ)))"',
        cwd=tmp_path,
        env={"MODE": "base"},
        version_env={"v2": {"MODE": "override"}},
        secrets=("api-key",),
        depends_on=("menu",),
    )
    services = [printer, runtime("menu")]
    with LocalProvider(
        services, state_dir=tmp_path / "state", secrets={"api-key": "s3cret"}.__getitem__
    ) as p:
        p.suspend_replacement("printer")
        instance = p.launch("printer", "v2")
        p.wait_for(instance.id, ENDED, timeout=DEADLINE)
        record = p.logs("printer", instance_id=instance.id)[0]

    keys = ("PORT", "VERSION", "FLEETOPS_SERVICE", "API_KEY", "MENU_URL", "MODE", "FLEETOPS_DATABASE_URL")
    keys += ("FLEETOPS_DATA_DIR",)
    assert {k: record.get(k) for k in keys} == {
        "PORT": str(instance.port),
        "VERSION": "v2",
        "FLEETOPS_SERVICE": "printer",
        "API_KEY": "s3cret",
        "MENU_URL": f"http://127.0.0.1:{p.ports['menu']}",
        "MODE": "override",
        "FLEETOPS_DATABASE_URL": None,
        "FLEETOPS_DATA_DIR": str(tmp_path.resolve() / "state" / "data" / "printer"),
    }


def test_a_secret_reaches_the_payments_service(tmp_path: Path) -> None:
    payments = runtime("payments", secrets=("payments-api-key",))
    with LocalProvider([payments], state_dir=tmp_path / "state", secrets=lambda name: "key-1") as p:
        instance = p.launch("payments", "v1")
        p.wait_for(instance.id, UP, timeout=DEADLINE)
        health = httpx.get(p.endpoint("payments") + "/health", timeout=DEADLINE).json()

    assert health["key_fingerprint"] == hashlib.sha256(b"key-1").hexdigest()[:12]


def test_nothing_is_left_running_after_stop(tmp_path: Path) -> None:
    provider = LocalProvider([runtime("menu")], state_dir=tmp_path / "state")
    provider.start()
    instances = _launch_in_service(provider, "menu", count=2)
    assert provider.haproxy.process is not None
    pids = [provider.haproxy.process.pid, *(i.pid for i in instances if i.pid is not None)]
    assert len(pids) == 3 and all(process_alive(pid) for pid in pids)

    provider.stop()

    assert [pid for pid in pids if process_alive(pid) or group_alive(pid)] == []
    assert list((tmp_path / "state" / "pids").iterdir()) == []
    assert {i.state for i in provider.instances(include_terminated=True)} == {InstanceState.TERMINATED}


def _in_flight(provider: LocalProvider, instance_id: str) -> int:
    """Requests HAProxy has sent to the instance and not yet seen answered."""
    return sum(s.current_sessions for s in provider.target_stats("menu") if s.instance_id == instance_id)


def _access_records(provider: LocalProvider, instance_id: str) -> list[dict[str, Any]]:
    records = [json.loads(line) for line in provider.access_log.read_text().splitlines()]
    return [r for r in records if r["instance"] == instance_id]


def _when(timestamp: str) -> float:
    return datetime.fromisoformat(timestamp).timestamp()


def test_a_request_in_flight_when_draining_starts_finishes(provider: LocalProvider) -> None:
    (instance,) = _launch_in_service(provider, "menu", "slow")  # FAULT_LATENCY=2s
    result: list[int] = []
    request = threading.Thread(
        target=lambda: result.append(
            httpx.get(provider.endpoint("menu") + "/items", timeout=DEADLINE).status_code
        )
    )
    request.start()
    wait_until(lambda: _in_flight(provider, instance.id) == 1, what="the request at the instance")

    assert provider.terminate(instance.id).state is InstanceState.DRAINING
    assert _in_flight(provider, instance.id) == 1  # the drain began while the request was in flight

    request.join()
    assert result == [200]
    provider.wait_for(instance.id, ENDED, timeout=DEADLINE)
    # Judged on the clocks of HAProxy and the supervisor, not on this thread's timing.
    (served,) = wait_until(lambda: _access_records(provider, instance.id), what="the access log line")
    answered = _when(served["timestamp"]) + served["total_time_ms"] / 1000
    events = [json.loads(line) for line in provider.events_log.read_text().splitlines()]
    (stopped,) = [e for e in events if e["event"] == "terminating" and e["instance"] == instance.id]
    assert stopped["reason"] == "drained"
    assert _when(stopped["timestamp"]) >= answered


def test_an_instance_is_pending_until_its_port_opens_and_checks_pass(provider: LocalProvider) -> None:
    instance = provider.launch("menu", "slow-start")  # FAULT_SLOW_START=1s

    pending = wait_until(
        lambda: (i := provider.instance(instance.id)).health_reason == "DOWN: last check L4CON" and i,
        what="a refused health check",
    )
    assert (pending.state, pending.health) == (InstanceState.PENDING, TargetHealth.INITIAL)
    assert provider.wait_for(instance.id, UP, timeout=DEADLINE).health is TargetHealth.HEALTHY


def test_a_crashing_service_is_replaced_with_growing_delays(tmp_path: Path) -> None:
    crasher = ServiceRuntime("crasher", '{python} -c "raise SystemExit(3)"', tmp_path)
    with LocalProvider([crasher], state_dir=tmp_path / "state") as p:
        first = p.launch("crasher", "v1")

        def delays() -> list[float]:
            events = [json.loads(line) for line in p.events_log.read_text().splitlines()]
            return [e["delay"] for e in events if e["event"] == "replacement scheduled"]

        wait_until(lambda: len(delays()) >= 3, what="three replacements")
        p.suspend_replacement("crasher")

    assert delays()[:3] == [0.0, 0.5, 1.0]
    ended = p.instance(first.id)
    assert (ended.state, ended.exit_code) == (InstanceState.TERMINATED, 3)
    assert ended.health_reason == "process exited with status 3"


def test_haproxy_is_restarted_with_its_servers_if_it_dies(provider: LocalProvider) -> None:
    (instance,) = _launch_in_service(provider, "menu")
    assert provider.haproxy.process is not None
    old_pid = provider.haproxy.process.pid

    os.kill(old_pid, signal.SIGKILL)

    def serving() -> bool:
        try:
            return httpx.get(provider.endpoint("menu") + "/health").json()["instance"] == instance.id
        except (httpx.HTTPError, ValueError):
            return False

    wait_until(serving, what="traffic through the restarted HAProxy")
    assert provider.haproxy.process.pid != old_pid
    events = [json.loads(line) for line in provider.events_log.read_text().splitlines()]
    assert [(e["exit_code"], e["servers"]) for e in events if e["event"] == "haproxy restarted"] == [(-9, 1)]


def test_usage_reports_the_cpu_a_burning_instance_spends(provider: LocalProvider) -> None:
    calm, hot = provider.launch("menu", "v1"), provider.launch("menu", "hot")  # FAULT_CPU_BURN=1
    for instance in (calm, hot):
        provider.wait_for(instance.id, UP, timeout=DEADLINE)
    before = {i.id: provider.usage(i.id) for i in (calm, hot)}

    def spent(instance: InstanceInfo) -> float:
        now, then = provider.usage(instance.id), before[instance.id]
        assert now is not None and then is not None and now.rss_bytes > 10_000_000
        return now.cpu_seconds - then.cpu_seconds

    # Waits for CPU time, not wall time: on a loaded machine the burning thread gets a slice of
    # a core, and the window stretches to match (the calm instance's share stretches with it).
    wait_until(lambda: spent(hot) >= 0.5, what="half a CPU second spent by the hot instance")
    calm_spent, hot_spent = spent(calm), spent(hot)

    assert hot_spent > 3 * calm_spent, (hot_spent, calm_spent)


def test_launch_before_start_is_refused(tmp_path: Path) -> None:
    provider = LocalProvider([runtime("menu")], state_dir=tmp_path / "state")

    with pytest.raises(FleetopsError, match=r"the local provider is not started: call start\(\) first"):
        provider.launch("menu", "v1")


def test_an_unknown_dependency_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInput) as raised:
        LocalProvider([runtime("orders")], state_dir=tmp_path / "state")

    assert raised.value.problems == [
        "service 'orders' depends on unknown service 'menu'",
        "service 'orders' depends on unknown service 'payments'",
        "service 'orders' depends on unknown service 'notifications'",
    ]


def test_a_deregistered_instance_gets_no_traffic_and_runs_until_terminated(provider: LocalProvider) -> None:
    kept, leaving = _launch_in_service(provider, "menu", count=2)

    assert provider.deregister(leaving.id).state is InstanceState.DRAINING
    wait_until(lambda: provider.instance(leaving.id).health is TargetHealth.UNUSED, what="the drain's end")
    with httpx.Client() as client:
        served = {client.get(provider.endpoint("menu") + "/health").json()["instance"] for _ in range(6)}
    still = provider.instance(leaving.id)

    assert served == {kept.id}
    assert (still.state, still.health_reason) == (InstanceState.DRAINING, "deregistered")
    assert still.pid is not None and process_alive(still.pid)
    provider.terminate(leaving.id)
    assert provider.wait_for(leaving.id, ENDED, timeout=DEADLINE).exit_code == -signal.SIGTERM


def test_start_stops_what_a_crashed_run_left_behind(tmp_path: Path) -> None:
    pids = tmp_path / "state" / "pids"
    pids.mkdir(parents=True)
    leftover = subprocess.Popen(["sleep", "60"], start_new_session=True)
    (pids / "menu-old.pid").write_text(f"{leftover.pid} {process_start_time(leftover.pid)}\n")

    with LocalProvider([runtime("menu")], state_dir=tmp_path / "state"):
        assert leftover.wait(timeout=5) == -signal.SIGKILL


def test_a_provider_started_again_in_its_folder_keeps_each_services_port(tmp_path: Path) -> None:
    # A restarted control plane keeps its endpoints: clients' URLs stay valid.
    with LocalProvider([runtime("menu")], state_dir=tmp_path / "state") as first:
        before = first.endpoint("menu")
    with LocalProvider([runtime("menu")], state_dir=tmp_path / "state") as again:
        assert again.endpoint("menu") == before
        _launch_in_service(again, "menu")
        assert httpx.get(before + "/items", timeout=DEADLINE).status_code == 200


def test_a_remembered_port_another_process_took_is_given_up(tmp_path: Path) -> None:
    with LocalProvider([runtime("menu")], state_dir=tmp_path / "state") as first:
        before = first.ports["menu"]
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", before))
        holder.listen()
        with LocalProvider([runtime("menu")], state_dir=tmp_path / "state") as again:
            assert again.ports["menu"] != before
            assert json.loads((tmp_path / "state" / "ports.json").read_text()) == {
                "menu": again.ports["menu"]
            }


def test_a_free_port_taken_before_haproxy_binds_it_is_given_up_for_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The port was free when checked and another process took it before HAProxy started (in
    the test, the check is told it is free): HAProxy is started again on another free port."""
    with LocalProvider([runtime("menu")], state_dir=tmp_path / "state") as first:
        before = first.ports["menu"]
    monkeypatch.setattr(provider_module, "port_free", lambda port: True)
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", before))
        holder.listen()
        with LocalProvider([runtime("menu")], state_dir=tmp_path / "state") as again:
            now = again.ports["menu"]
            assert (now != before, again.haproxy.running()) == (True, True)
            assert json.loads((tmp_path / "state" / "ports.json").read_text()) == {"menu": now}
            events = [json.loads(line) for line in again.events_log.read_text().splitlines()]
            taken = [e for e in events if e["event"] == "frontend ports taken"]
            assert [(e["taken"], e["now"]) for e in taken] == [({"menu": before}, {"menu": now})]


def test_log_records_leave_the_provider_redacted(tmp_path: Path) -> None:
    """A log file written before capture redacted (an older version's) is redacted when read."""
    provider = LocalProvider(
        [runtime("menu")], state_dir=tmp_path / "state", redactor=secret_redactor(lambda: {"db-secret-1"})
    )
    path = provider.log_path("menu", "menu-1")
    path.parent.mkdir(parents=True)
    line = {"timestamp": "t1", "msg": "password db-secret-1", "dsn": "postgres://u:pw@h/db", "db-secret-1": 1}
    path.write_text(json.dumps(line) + "\n")

    assert provider.logs("menu") == [
        {"timestamp": "t1", "msg": "password ***", "dsn": "postgres://u:***@h/db", "***": 1}
    ]
