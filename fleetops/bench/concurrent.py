"""``fleetops bench concurrent``: N simultaneous deployments to N environments of the example fleet.

The seed's ``scalability_tester.py concurrent-test --concurrent N``. Each environment is a copy
of ``examples/restaurant`` run by its own control plane (``fleetops up``: a server, its HAProxy
and one process per instance), so the deployments share nothing but this machine. Once every
environment is up, one thread per environment starts the deploy runbook (``POST /deployments``)
at the same moment and follows it to its end. A deployment's duration is its execution's, from
the server's start and stop dates. Every control plane is stopped at the end, also on Ctrl-C.

Processes add up (N x services x instances, plus N servers and N HAProxies), so the fleet can be
made smaller: ``instances`` per service (default 1) and a subset of ``services``.
"""

from __future__ import annotations

import math
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from fleetops.bench.sandbox import Sandbox, copy_example
from fleetops.errors import BadInput

TERMINAL = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})
POLL_SECONDS = 1.0


@dataclass(frozen=True)
class ConcurrentSettings:
    """What ``run_concurrent`` deploys, where, and how long it waits."""

    concurrent: int
    """How many environments, each deployed once, all at the same moment."""
    version: str = "v2"
    """The version deployed (every environment starts at ``v1``)."""
    instances: int | None = 1
    """Instances of every service (None: as the fleet file says)."""
    services: tuple[str, ...] = ()
    """Only these services and what they depend on (default: all six)."""
    start_parallelism: int = 4
    """How many environments start at once (each start launches a server and its instances)."""
    up_timeout_s: float = 180.0
    deploy_timeout_s: float = 600.0

    def __post_init__(self) -> None:
        if not 1 <= self.concurrent <= 100:
            raise BadInput(f"--concurrent {self.concurrent}: expected 1..100")
        if self.instances is not None and self.instances < 1:
            raise BadInput(f"--instances {self.instances}: expected at least 1")


@dataclass(frozen=True)
class DeploymentResult:
    """One environment's deployment: how it ended and how long it took."""

    environment: str
    execution: str | None
    status: str
    """The execution's status, or ``NOT_STARTED`` when the request was refused or failed."""
    duration_s: float | None
    error: str | None = None

    @property
    def succeeded(self) -> bool:
        """Whether the deployment succeeded."""
        return self.status == "SUCCEEDED"

    def to_json(self) -> dict[str, Any]:
        """JSON-ready values."""
        return {
            "environment": self.environment,
            "execution": self.execution,
            "status": self.status,
            "duration_s": self.duration_s,
            "error": self.error,
        }


@dataclass(frozen=True)
class ConcurrentReport:
    """Every deployment of a run, the fleet's size and the phases' wall times."""

    settings: ConcurrentSettings
    services: tuple[str, ...]
    processes: int
    """Fleet processes running when the deployments started (instances, HAProxies and
    datastore servers such as the example's redis cache)."""
    setup_s: float
    wall_s: float
    """From the first deployment's start to the last one's end, as this client saw them."""
    teardown_s: float
    results: tuple[DeploymentResult, ...] = field(default=())

    @property
    def success_rate(self) -> float:
        """Share of deployments that succeeded (0..1)."""
        return sum(r.succeeded for r in self.results) / len(self.results) if self.results else 0.0

    def durations(self) -> list[float]:
        """Durations of the deployments that ended, sorted."""
        return sorted(r.duration_s for r in self.results if r.duration_s is not None)

    def percentile(self, share: float) -> float | None:
        """The nearest-rank percentile of the durations (``share`` 0.5 is the median)."""
        values = self.durations()
        if not values:
            return None
        return values[max(1, math.ceil(share * len(values))) - 1]

    def to_json(self) -> dict[str, Any]:
        """JSON-ready values."""
        values = self.durations()
        return {
            "concurrent": self.settings.concurrent,
            "version": self.settings.version,
            "instances_per_service": self.settings.instances,
            "services": list(self.services),
            "processes": self.processes,
            "succeeded": sum(r.succeeded for r in self.results),
            "success_rate": self.success_rate,
            "duration_p50_s": self.percentile(0.5),
            "duration_p95_s": self.percentile(0.95),
            "duration_max_s": values[-1] if values else None,
            "setup_s": round(self.setup_s, 1),
            "wall_s": round(self.wall_s, 1),
            "teardown_s": round(self.teardown_s, 1),
            "deployments": [r.to_json() for r in self.results],
        }


def run_concurrent(
    settings: ConcurrentSettings,
    *,
    workdir: Path | None = None,
    say: Callable[[str], None] = lambda _line: None,
) -> ConcurrentReport:
    """Start ``settings.concurrent`` environments, deploy to all at once, stop them; the report.

    ``workdir``: where the copies go (default: a temporary folder, removed after).
    """
    if workdir is None:
        with tempfile.TemporaryDirectory(prefix="fleetops-bench-") as scratch:
            return run_concurrent(settings, workdir=Path(scratch), say=say)
    names = [f"bench-{k:02d}" for k in range(1, settings.concurrent + 1)]
    sandboxes = [
        Sandbox(
            copy_example(
                workdir / name, environment=name, instances=settings.instances, services=settings.services
            ),
            name,
        )
        for name in names
    ]
    started = time.monotonic()
    try:
        say(f"starting {len(sandboxes)} environments ({settings.start_parallelism} at a time)")
        with ThreadPoolExecutor(settings.start_parallelism) as pool:
            ups = list(pool.map(lambda s: s.up(timeout=settings.up_timeout_s), sandboxes))
        services = tuple(service["name"] for service in ups[0]["services"])
        processes = sum(len(s.pids()) for s in sandboxes)
        setup_s = time.monotonic() - started
        say(f"{len(sandboxes)} environments up in {setup_s:.0f}s ({processes} fleet processes); deploying")
        results, wall_s = _deploy_all(sandboxes, settings, say)
    finally:
        stopping = time.monotonic()
        say("stopping every environment")
        with ThreadPoolExecutor(8) as pool:
            downs = list(pool.map(lambda s: s.down(), sandboxes))
        for sandbox, done in zip(sandboxes, downs, strict=True):
            if done.returncode != 0:
                say(f"{sandbox.environment}: fleetops down failed: {done.stderr.strip()[-500:]}")
        teardown_s = time.monotonic() - stopping
    return ConcurrentReport(
        settings=settings,
        services=services,
        processes=processes,
        setup_s=setup_s,
        wall_s=wall_s,
        teardown_s=teardown_s,
        results=tuple(results),
    )


def _deploy_all(
    sandboxes: Sequence[Sandbox], settings: ConcurrentSettings, say: Callable[[str], None]
) -> tuple[list[DeploymentResult], float]:
    barrier = threading.Barrier(len(sandboxes))
    interrupted = threading.Event()
    started = time.monotonic()

    def one(sandbox: Sandbox) -> DeploymentResult:
        with sandbox.client() as http:
            barrier.wait()
            result = _deploy(http, sandbox.environment, settings, interrupted)
        say(f"{result.environment}: {result.status} in {result.duration_s or 0:.1f}s")
        return result

    pool = ThreadPoolExecutor(len(sandboxes))
    try:
        results = list(pool.map(one, sandboxes))
    except BaseException:  # Ctrl-C: the followers stop at once, so the environments are stopped
        interrupted.set()
        barrier.abort()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return results, time.monotonic() - started


def _deploy(
    http: httpx.Client, environment: str, settings: ConcurrentSettings, interrupted: threading.Event
) -> DeploymentResult:
    body = {"environment": environment, "version": settings.version}
    try:
        response = http.post("/deployments", json=body)
        if response.status_code != 201:
            return DeploymentResult(environment, None, "NOT_STARTED", None, response.text)
        execution = str(response.json()["execution"])
        deadline = time.monotonic() + settings.deploy_timeout_s
        while True:
            if interrupted.wait(POLL_SECONDS):
                return DeploymentResult(environment, execution, "RUNNING", None, "interrupted")
            progress: dict[str, Any] = http.get(f"/deployments/{execution}").raise_for_status().json()
            if progress["status"] in TERMINAL:
                break
            if time.monotonic() > deadline:
                return DeploymentResult(
                    environment, execution, "RUNNING", None, "still running at the timeout"
                )
    except httpx.HTTPError as err:
        return DeploymentResult(environment, None, "NOT_STARTED", None, f"{type(err).__name__}: {err}")
    began = datetime.fromisoformat(progress["start_date"])
    ended = datetime.fromisoformat(progress["stop_date"])
    error = None if progress["status"] == "SUCCEEDED" else f"{progress['error']}: {progress['cause']}"
    return DeploymentResult(
        environment, execution, progress["status"], (ended - began).total_seconds(), error
    )
