"""``fleetops bench orchestrator``: N deployments at once on ONE control plane (or two on one PostgreSQL).

The seed's ``scalability_tester concurrent-test`` aimed at the orchestrator itself, not at the
machine (``fleetops bench concurrent`` runs a control plane, HAProxy and processes per
environment). Here the control plane is the real one (``fleetops.bench.orchestrator_server``:
``serve``, the API, the engine, the store), its environments run on a fake fleet that does no
work but keeps each rollout's timing (``fleetops.bench.timed_fleet``), and deployments are
started as ``fleetops deploy`` starts them (``POST /api/v1/deployments``). The fleet is the
example's, with one environment per deployment (an environment is the deploy lock's scope, so
none waits for another) plus one for the baseline.

A run: start the control plane(s); deploy the baseline environment alone (the same control
plane, just before); then start the N deployments (``start_parallelism`` requests at a time),
follow them through the executions list until none runs, and read each one's dates and history.
Figures: success rate; each deployment's duration against what its settings imply (per wave the
longest ``plan_refresh`` lower bound: batches x (warmup + deregistration delay) + checkpoint
delays + bake); state transitions (``StateEntered`` events) and store writes per second over the
window from the first start to the last end; the server's RSS and CPU time. Everything started is
stopped at the end, also on Ctrl-C.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import yaml

from fleetops.bench.orchestrator_server import STATS_FILE
from fleetops.bench.sandbox import API_PREFIX, EXAMPLE, copy_example, fleetops_env
from fleetops.bench.timed_fleet import HealthResponder
from fleetops.errors import BadInput, FleetopsError
from fleetops.ops.secrets.cipher import key_file
from fleetops.rollout import plan_refresh
from fleetops.server.settings import TOKEN_FILE, read_server_file
from fleetops.spec.fleet import Fleet
from fleetops.spec.graph import waves
from fleetops.spec.loader import load_fleet
from fleetops.spec.rollout_settings import milliseconds, refresh_preferences

TERMINAL = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})
BASELINE = "bench-base"
MAX_DEPLOYMENTS = 2000
STORES = ("sqlite", "postgresql")


@dataclass(frozen=True)
class OrchestratorSettings:
    """What ``run_orchestrator`` deploys and on what."""

    deployments: int
    """Deployments started at once, each to its own environment."""
    control_planes: int = 1
    """1, or 2 sharing one PostgreSQL store (environments split between them)."""
    store: str = "sqlite"
    version: str = "v2"
    services: tuple[str, ...] = ()
    """Only these services and what they depend on (default: all of the fleet's)."""
    fleet: Path | None = None
    """A ``fleet.yaml`` whose services (and their health and deploy settings) are deployed;
    None: the example's (``examples/restaurant``)."""
    start_parallelism: int = 8
    """Start requests in flight at once."""
    poll_s: float = 2.0
    """How often the executions list is read while the deployments run."""
    start_timeout_s: float = 300.0
    deploy_timeout_s: float = 900.0

    def __post_init__(self) -> None:
        if not 1 <= self.deployments <= MAX_DEPLOYMENTS:
            raise BadInput(f"--deployments {self.deployments}: expected 1..{MAX_DEPLOYMENTS}")
        if self.control_planes not in (1, 2):
            raise BadInput(f"--control-planes {self.control_planes}: expected 1 or 2")
        if self.store not in STORES:
            raise BadInput(f"--store {self.store!r}: expected one of {', '.join(STORES)}")
        if self.fleet is not None and (self.fleet.name != "fleet.yaml" or not self.fleet.is_file()):
            raise BadInput(f"--fleet {self.fleet}: expected an existing file named fleet.yaml")
        if self.control_planes == 2 and self.store != "postgresql":
            raise BadInput("--control-planes 2 shares one store between servers: use --store postgresql")


@dataclass(frozen=True)
class Deployment:
    """One deployment: where, how it ended, how long it took (the execution's own dates)."""

    environment: str
    plane: int
    execution: str | None
    status: str
    """The execution's status, or ``NOT_STARTED`` when the start request failed."""
    duration_s: float | None = None
    start_request_s: float | None = None
    """How long ``POST /deployments`` took to answer."""
    transitions: int | None = None
    """``StateEntered`` events in its history."""
    events: int | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON-ready values."""
        return {
            "environment": self.environment,
            "control_plane": self.plane,
            "execution": self.execution,
            "status": self.status,
            "duration_s": self.duration_s,
            "start_request_s": self.start_request_s,
            "transitions": self.transitions,
            "events": self.events,
            "error": self.error,
        }


@dataclass(frozen=True)
class PlaneFigures:
    """One server process over the measured window."""

    rss_start_mb: float
    rss_peak_mb: float
    rss_end_mb: float
    cpu_s: float
    """User + system CPU time it used in the window."""
    writes: dict[str, Any]
    """Its store writes in the window: ``write_statements``, ``write_transactions``,
    ``rows_written``, ``rows_by_table``."""

    def to_json(self) -> dict[str, Any]:
        """JSON-ready values."""
        return {
            "rss_start_mb": round(self.rss_start_mb, 1),
            "rss_peak_mb": round(self.rss_peak_mb, 1),
            "rss_end_mb": round(self.rss_end_mb, 1),
            "cpu_s": round(self.cpu_s, 1),
            **self.writes,
        }


@dataclass(frozen=True)
class OrchestratorReport:
    """Every deployment of a run, the baseline, and the control planes' figures."""

    settings: OrchestratorSettings
    services: tuple[str, ...]
    implied_s: float
    """The duration a deployment's settings imply (see the module docstring)."""
    baseline: Deployment
    setup_s: float
    window_s: float
    """From the first start request to the last deployment's end."""
    load_average: tuple[float, float, float]
    """The machine's load average when the deployments started."""
    planes: tuple[PlaneFigures, ...] = ()
    deployments: tuple[Deployment, ...] = field(default=())

    @property
    def succeeded(self) -> int:
        """How many deployments succeeded."""
        return sum(d.status == "SUCCEEDED" for d in self.deployments)

    @property
    def success_rate(self) -> float:
        """Share of deployments that succeeded (0..1)."""
        return self.succeeded / len(self.deployments) if self.deployments else 0.0

    def percentile(self, values: Sequence[float], share: float) -> float | None:
        """The nearest-rank percentile of ``values`` (``share`` 0.5: the median)."""
        ordered = sorted(values)
        if not ordered:
            return None
        return ordered[max(1, math.ceil(share * len(ordered))) - 1]

    def to_json(self) -> dict[str, Any]:
        """JSON-ready values, the figures first."""
        durations = [d.duration_s for d in self.deployments if d.duration_s is not None]
        starts = [d.start_request_s for d in self.deployments if d.start_request_s is not None]
        transitions = sum(d.transitions or 0 for d in self.deployments)
        events = sum(d.events or 0 for d in self.deployments)
        p50, p95 = self.percentile(durations, 0.5), self.percentile(durations, 0.95)
        window = self.window_s or float("nan")
        statements = sum(p.writes["write_statements"] for p in self.planes)
        transactions = sum(p.writes["write_transactions"] for p in self.planes)
        rows = sum(p.writes["rows_written"] for p in self.planes)

        def ratio(value: float | None) -> float | None:
            return None if value is None or not self.implied_s else round(value / self.implied_s, 2)

        return {
            "deployments": self.settings.deployments,
            "control_planes": self.settings.control_planes,
            "store": self.settings.store,
            "version": self.settings.version,
            "services": list(self.services),
            "implied_s": round(self.implied_s, 1),
            "baseline_s": self.baseline.duration_s,
            "baseline_ratio": ratio(self.baseline.duration_s),
            "baseline_status": self.baseline.status,
            "succeeded": self.succeeded,
            "success_rate": self.success_rate,
            "duration_p50_s": p50,
            "duration_p95_s": p95,
            "duration_max_s": max(durations) if durations else None,
            "ratio_p50": ratio(p50),
            "ratio_p95": ratio(p95),
            "start_request_p50_s": self.percentile(starts, 0.5),
            "start_request_p95_s": self.percentile(starts, 0.95),
            "transitions": transitions,
            "transitions_per_s": round(transitions / window, 1),
            "events_per_s": round(events / window, 1),
            "write_statements_per_s": round(statements / window, 1),
            "write_transactions_per_s": round(transactions / window, 1),
            "rows_written_per_s": round(rows / window, 1),
            "rss_peak_mb": round(max((p.rss_peak_mb for p in self.planes), default=0.0), 1),
            "setup_s": round(self.setup_s, 1),
            "window_s": round(self.window_s, 1),
            "load_average": list(self.load_average),
            "planes": [p.to_json() for p in self.planes],
            "deployment_list": [d.to_json() for d in self.deployments],
        }


def implied_duration_s(fleet: Fleet, environment: str) -> float:
    """The lower bound of one deployment of every service: per wave, the longest rollout's
    ``plan_refresh`` lower bound, summed over the waves."""
    total_ms = 0
    dependencies = {name: list(service.depends_on) for name, service in fleet.services.items()}
    for wave in waves(dependencies):
        longest = 0
        for name in wave:
            service = fleet.service(name, environment)
            plan = plan_refresh(
                desired=service.instances.desired,
                preferences=refresh_preferences(service.deploy),
                deregistration_delay_ms=milliseconds(service.deploy.deregistration_delay),
            )
            longest = max(longest, plan.min_duration_ms)
        total_ms += longest
    return total_ms / 1000


def environment_names(count: int) -> list[str]:
    """The deployments' environments, ``bench-0001`` on."""
    return [f"bench-{k:04d}" for k in range(1, count + 1)]


def write_fleet(
    dest: Path, environments: Sequence[str], services: Sequence[str], webhook: str, source: Path = EXAMPLE
) -> Path:
    """The fleet in ``source`` (a folder with a ``fleet.yaml``) copied to ``dest`` with
    ``environments`` added (local) and its webhook notifications sent to ``webhook``; its file."""
    path = copy_example(dest, services=services, source=source)
    document: dict[str, Any] = yaml.safe_load(path.read_text())
    for name in environments:
        document["environments"][name] = {"provider": "local"}
    for channel in (document.get("notifications") or {}).values():
        if channel.get("type") == "webhook":
            channel["url"] = webhook
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def run_orchestrator(
    settings: OrchestratorSettings,
    *,
    workdir: Path | None = None,
    say: Callable[[str], None] = lambda _line: None,
) -> OrchestratorReport:
    """Run the bench (see the module docstring); its report."""
    if workdir is None:
        with tempfile.TemporaryDirectory(prefix="fleetops-bench-orch-") as scratch:
            return run_orchestrator(settings, workdir=Path(scratch), say=say)
    names = environment_names(settings.deployments)
    started = time.monotonic()
    with ExitStack() as stack:
        responder = HealthResponder()
        stack.callback(responder.close)
        fleet_file = write_fleet(
            workdir / "fleet",
            [BASELINE, *names],
            settings.services,
            webhook=f"{responder.url}/hook",
            source=EXAMPLE if settings.fleet is None else settings.fleet.parent,
        )
        fleet = load_fleet(fleet_file)
        implied = implied_duration_s(fleet, BASELINE)
        database_url = None
        if settings.store == "postgresql":
            from fleetops.testing.postgres import postgres_cluster

            say("starting a private PostgreSQL")
            database_url = stack.enter_context(postgres_cluster()).create_database("fleetops_bench")
        shares = [names[k :: settings.control_planes] for k in range(settings.control_planes)]
        shares[0] = [BASELINE, *shares[0]]
        planes: list[Plane] = []
        for k, share in enumerate(shares):
            say(f"starting control plane {k + 1} with {len(share)} environments")
            key_from = planes[0].state_dir if planes else None
            planes.append(
                stack.enter_context(
                    _plane(
                        workdir / f"plane-{k + 1}",
                        fleet_file,
                        share,
                        database_url,
                        settings,
                        key_from,
                        responder.url,
                    )
                )
            )
        token = (planes[0].state_dir / TOKEN_FILE).read_text().strip()
        clients = [stack.enter_context(_client(plane.url, token)) for plane in planes]
        setup_s = time.monotonic() - started
        say(f"control plane(s) up in {setup_s:.0f}s; baseline: one deployment alone")
        baseline = _follow_one(clients[0], BASELINE, settings)
        say(f"baseline {baseline.status} in {baseline.duration_s or 0:.1f}s (implied {implied:.1f}s)")
        report = _measure(settings, names, planes, clients, say)
    return OrchestratorReport(
        settings=settings,
        services=tuple(fleet.services),
        implied_s=implied,
        baseline=baseline,
        setup_s=setup_s,
        window_s=report.window_s,
        load_average=report.load_average,
        planes=report.planes,
        deployments=report.deployments,
    )


@dataclass(frozen=True)
class _Measured:
    window_s: float
    load_average: tuple[float, float, float]
    planes: tuple[PlaneFigures, ...]
    deployments: tuple[Deployment, ...]


def _measure(
    settings: OrchestratorSettings,
    names: Sequence[str],
    planes: Sequence[Plane],
    clients: Sequence[httpx.Client],
    say: Callable[[str], None],
) -> _Measured:
    plane_of = {name: k for k in range(len(planes)) for name in names[k :: len(planes)]}
    before = [(plane.rss_mb(), plane.cpu_s(), plane.stats()) for plane in planes]
    peaks = [rss for rss, _, _ in before]
    load = os.getloadavg()
    say(f"starting {len(names)} deployments ({settings.start_parallelism} requests at a time)")
    first, first_wall = time.monotonic(), time.time()

    def start(name: str) -> Deployment:
        plane = plane_of[name] + 1
        began = time.monotonic()
        try:
            response = clients[plane - 1].post(
                "/deployments", json={"environment": name, "version": settings.version}
            )
        except httpx.HTTPError as err:
            return Deployment(name, plane, None, "NOT_STARTED", error=f"{type(err).__name__}: {err}")
        took = time.monotonic() - began
        if response.status_code != 201:
            return Deployment(name, plane, None, "NOT_STARTED", start_request_s=took, error=response.text)
        return Deployment(name, plane, str(response.json()["execution"]), "RUNNING", start_request_s=took)

    with ThreadPoolExecutor(settings.start_parallelism) as pool:
        started = list(pool.map(start, names))
    ours = {d.execution for d in started if d.execution is not None}
    say(f"{len(ours)} started in {time.monotonic() - first:.1f}s; following")
    deadline = time.monotonic() + settings.deploy_timeout_s
    while True:
        for k, plane in enumerate(planes):
            peaks[k] = max(peaks[k], plane.rss_mb())
        running = _running(clients[0], ours)
        if not running or time.monotonic() > deadline:
            break
        say(f"{len(running)} running after {time.monotonic() - first:.0f}s")
        time.sleep(settings.poll_s)
    after = [(plane.rss_mb(), plane.cpu_s(), plane.stats()) for plane in planes]
    say("reading the deployments' dates and histories")
    with ThreadPoolExecutor(4) as pool:
        finished = list(pool.map(lambda d: _finish(clients[d.plane - 1], d), started))
    ends = [end for _, end in finished if end is not None]
    figures = tuple(
        PlaneFigures(
            rss_start_mb=b[0],
            rss_peak_mb=max(peaks[k], a[0]),
            rss_end_mb=a[0],
            cpu_s=a[1] - b[1],
            writes=_difference(b[2], a[2]),
        )
        for k, (b, a) in enumerate(zip(before, after, strict=True))
    )
    return _Measured(
        window_s=(max(ends) - first_wall) if ends else time.monotonic() - first,
        load_average=(round(load[0], 1), round(load[1], 1), round(load[2], 1)),
        planes=figures,
        deployments=tuple(d for d, _ in finished),
    )


def _running(client: httpx.Client, ours: set[str]) -> set[str]:
    answer = _read(client, "/executions?runbook=deploy&status=RUNNING&limit=1000")
    names = {str(e["execution"]) for e in answer["executions"]}
    return names & ours


def _finish(client: httpx.Client, deployment: Deployment) -> tuple[Deployment, float | None]:
    """The deployment with its status, duration and history counts; its end (epoch seconds)."""
    if deployment.execution is None:
        return deployment, None
    try:
        record = _read(client, f"/deployments/{deployment.execution}")
        events = _read(client, f"/executions/{deployment.execution}/history")["events"]
    except httpx.HTTPError as err:
        return replace(deployment, status="UNKNOWN", error=f"{type(err).__name__}: {err}"), None
    transitions = sum(1 for event in events if str(event["type"]).endswith("StateEntered"))
    status = str(record["status"])
    if record["stop_date"] is None:
        return replace(deployment, status=status, transitions=transitions, events=len(events)), None
    began = datetime.fromisoformat(record["start_date"])
    ended = datetime.fromisoformat(record["stop_date"])
    error = None if status == "SUCCEEDED" else f"{record['error']}: {record['cause']}"
    done = replace(
        deployment,
        status=status,
        duration_s=round((ended - began).total_seconds(), 2),
        transitions=transitions,
        events=len(events),
        error=error,
    )
    return done, ended.timestamp()


def _read(client: httpx.Client, path: str, attempts: int = 3) -> Any:
    """GET ``path``; a connection a loaded server dropped is tried again (the bench's read, not
    the deployment, failed)."""
    for attempt in range(1, attempts + 1):
        try:
            return client.get(path).raise_for_status().json()
        except httpx.TransportError:
            if attempt == attempts:
                raise
            time.sleep(1.0)
    raise AssertionError("unreachable")


def _follow_one(client: httpx.Client, environment: str, settings: OrchestratorSettings) -> Deployment:
    began = time.monotonic()
    response = client.post("/deployments", json={"environment": environment, "version": settings.version})
    took = time.monotonic() - began
    if response.status_code != 201:
        raise FleetopsError(f"the baseline deployment did not start: {response.text}")
    execution = str(response.json()["execution"])
    deadline = time.monotonic() + settings.deploy_timeout_s
    while client.get(f"/deployments/{execution}").raise_for_status().json()["status"] not in TERMINAL:
        if time.monotonic() > deadline:
            raise FleetopsError(f"the baseline deployment {execution} was still running at the timeout")
        time.sleep(0.5)
    done, _ = _finish(client, Deployment(environment, 1, execution, "RUNNING", start_request_s=took))
    return done


def _difference(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    span = float(after.get("at", 0.0)) - float(before.get("at", 0.0))
    tables_before: dict[str, int] = before.get("rows_by_table", {})
    tables = {
        table: rows - tables_before.get(table, 0) for table, rows in after.get("rows_by_table", {}).items()
    }
    out: dict[str, Any] = {
        key: int(after.get(key, 0)) - int(before.get(key, 0))
        for key in ("write_statements", "write_transactions", "rows_written")
    }
    out["stats_span_s"] = round(span, 1)
    out["rows_by_table"] = dict(sorted(((t, n) for t, n in tables.items() if n), key=lambda item: -item[1]))
    return out


@dataclass(frozen=True)
class Plane:
    """One control-plane process of the bench."""

    process: subprocess.Popen[bytes]
    url: str
    state_dir: Path

    def rss_mb(self) -> float:
        """Its resident memory now (0 once it has ended)."""
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    def cpu_s(self) -> float:
        """User + system CPU seconds it has used."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stats(self) -> dict[str, Any]:
        """Its store-write counts (``orchestrator_server``'s stats file)."""
        try:
            data: dict[str, Any] = json.loads((self.state_dir / STATS_FILE).read_text())
        except (OSError, ValueError):
            return {}
        return data


@contextmanager
def _plane(  # noqa: PLR0917 (one call site; the parts of one plane)
    folder: Path,
    fleet_file: Path,
    environments: Sequence[str],
    database_url: str | None,
    settings: OrchestratorSettings,
    key_from: Path | None,
    endpoint: str,
) -> Iterator[Plane]:
    state_dir = folder / ".fleetops"
    state_dir.mkdir(parents=True)
    if key_from is not None:  # servers sharing a store share its secrets' key
        shutil.copy2(key_file(key_from), key_file(state_dir))
    listed = folder / "environments.txt"
    listed.write_text("".join(f"{name}\n" for name in environments))
    command = [
        sys.executable, "-m", "fleetops.bench.orchestrator_server",
        "--state-dir", str(state_dir), "--fleet", str(fleet_file), "--environments", str(listed),
        "--endpoint", endpoint,
    ]  # fmt: skip
    if database_url is not None:
        command += ["--database-url", database_url]
    log_path = folder / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=folder, env=fleetops_env(), stdout=log, stderr=subprocess.STDOUT
        )
    try:
        url = _wait_ready(process, state_dir, log_path, settings.start_timeout_s)
        yield Plane(process, url, state_dir)
    finally:
        _stop(process)


def _wait_ready(process: subprocess.Popen[bytes], state_dir: Path, log: Path, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None or time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-3000:]
            code = process.poll()
            raise FleetopsError(f"the bench's control plane did not start (exit code {code}):\n{tail}")
        info = read_server_file(state_dir)
        if info is not None and info.get("pid") == process.pid:
            try:
                if httpx.get(f"{info['url']}{API_PREFIX}/health", timeout=5).status_code == 200:
                    return str(info["url"])
            except httpx.HTTPError:
                pass
        time.sleep(0.2)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def _client(url: str, token: str) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=url.rstrip("/") + API_PREFIX, headers={"Authorization": f"Bearer {token}"}, timeout=120
    ) as client:
        yield client
