"""A rolling deploy under steady load, as users see it: failed requests, latency, duration.

Four instances of the example menu service behind HAProxy, run by a ``FleetRuntime``; a client
that never retries sends requests through the load balancer at a fixed rate (open loop: each
request leaves at its scheduled time, whatever the previous ones did), first for a baseline,
then while the runtime rolls the service from v1 to v2 (an ``InstanceRefresh`` with the
settings below). Prints requests sent and failed, p50/p99 latency before and during the
rollout, the rollout's duration and its ratio to the lower bound its settings imply, from the rollout's own
plan (``fleetops.rollout.plan_refresh``):

    lower bound = batches x (instance warmup + deregistration delay) + checkpoint delays + bake

(each batch must warm its new instances, then drain the old ones, one after the other; starting
a process and passing the health checks are counted as free). Targets: 0 failed requests out of
at least 10,000; duration at most 1.2x the lower bound.

    .venv/bin/python bench/rolling_deploy.py [--rate 500] [--warmup 5] [--drain 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from fleetops.control.fleet import FleetRuntime, RuntimeSettings
from fleetops.control.local_services import dev_secrets, local_services
from fleetops.providers.local import LocalProvider
from fleetops.rollout import plan_refresh
from fleetops.runbooks.ports import RolloutRequest
from fleetops.spec.loader import load_fleet
from fleetops.spec.models import DeployPolicy
from fleetops.spec.rollout_settings import milliseconds, refresh_preferences
from fleetops.store import Store
from fleetops.testing.fleet_files import write_fleet


@dataclass
class Sample:
    """What the client saw, in send order: send time, latency (s), outcome."""

    sent: list[float] = field(default_factory=list)
    latency: list[float] = field(default_factory=list)
    outcome: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _client(
    url: str, *, start: float, period: float, offset: float, stop: threading.Event, out: Sample
) -> None:
    # One keep-alive connection per thread, no retries: every error is one a user would see.
    with httpx.Client(timeout=10, transport=httpx.HTTPTransport(retries=0)) as client:
        k = 0
        while not stop.is_set():
            due = start + offset + k * period
            k += 1
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            sent = time.monotonic()
            try:
                outcome = str(client.get(url).status_code)
            except httpx.HTTPError as err:
                outcome = type(err).__name__
            done = time.monotonic()
            with out.lock:
                out.sent.append(sent)
                out.latency.append(done - sent)
                out.outcome.append(outcome)


def _percentiles(latencies: list[float]) -> tuple[float, float]:
    if len(latencies) < 2:
        return (float("nan"), float("nan"))
    cuts = statistics.quantiles(latencies, n=100)
    return cuts[49] * 1000, cuts[98] * 1000


def run(*, rate: float, threads: int, warmup_s: int, drain_s: int, baseline_s: float) -> None:
    """Run the benchmark and print its figures."""
    deploy = {
        "min_healthy_percent": 100,
        "max_healthy_percent": 150,
        "warmup": f"{warmup_s}s",
        "deregistration_delay": f"{drain_s}s",
        "bake_time": "0s",
    }
    health = {"interval": "250ms", "timeout": "200ms", "healthy_threshold": 2, "unhealthy_threshold": 2}
    services = {"menu": {"instances": {"min": 4, "desired": 4, "max": 8}, "deploy": deploy, "health": health}}
    with tempfile.TemporaryDirectory() as folder:
        fleet = load_fleet(write_fleet(Path(folder), services))
        state = Path(folder) / ".fleetops"
        provider = LocalProvider(
            local_services(fleet, "dev"), state_dir=state, secrets=dev_secrets(fleet, state)
        )
        with Store.open(None, state) as store:
            runtime = FleetRuntime(fleet, "dev", provider=provider, store=store, settings=RuntimeSettings())
            runtime.start()
            try:
                deadline = time.monotonic() + 60
                while not runtime.status().ready:
                    if time.monotonic() > deadline:
                        raise SystemExit("menu did not come up")
                    time.sleep(0.1)
                deploy_policy = fleet.service("menu", "dev").deploy
                _measure(runtime, deploy_policy, rate=rate, threads=threads, baseline_s=baseline_s)
            finally:
                runtime.stop()


def _measure(
    runtime: FleetRuntime, deploy: DeployPolicy, *, rate: float, threads: int, baseline_s: float
) -> None:
    preferences = refresh_preferences(deploy)
    plan = plan_refresh(
        desired=4, preferences=preferences, deregistration_delay_ms=milliseconds(deploy.deregistration_delay)
    )
    lower_bound_s = plan.min_duration_ms / 1000

    url = runtime.provider.endpoint("menu") + "/items"
    out, stop = Sample(), threading.Event()
    period = threads / rate
    start = time.monotonic() + 0.2
    workers = [
        threading.Thread(
            target=_client,
            args=(url,),
            kwargs={
                "start": start,
                "period": period,
                "offset": i * period / threads,
                "stop": stop,
                "out": out,
            },
        )
        for i in range(threads)
    ]
    for worker in workers:
        worker.start()
    time.sleep(0.2 + baseline_s)
    rollout_start = time.monotonic()
    view = runtime.start_rollout(RolloutRequest("bench-1", "dev", "menu", "v2", 2))
    view = runtime.wait_rollout(view.rollout_id, timeout=600)
    rollout_end = time.monotonic()
    stop.set()
    for worker in workers:
        worker.join()

    with out.lock:
        rows = list(zip(out.sent, out.latency, out.outcome, strict=True))
    before = [lat for sent, lat, _ in rows if sent < rollout_start]
    during = [lat for sent, lat, _ in rows if rollout_start <= sent < rollout_end]
    outcomes = Counter(outcome for _, _, outcome in rows)
    failed = sum(n for outcome, n in outcomes.items() if outcome != "200")
    duration = rollout_end - rollout_start
    sent_rate = len(rows) / (rows[-1][0] - rows[0][0]) if len(rows) > 1 else 0.0
    b50, b99 = _percentiles(before)
    d50, d99 = _percentiles(during)
    shapes = ", ".join(f"{b.shape.launch_first}+{b.shape.terminate_first}" for b in plan.batches)
    print(
        f"rollout: {view.status}, 4 instances v1 -> v2 in {len(plan.batches)} batches (launch first + "
        f"terminate first: {shapes}); warmup {preferences.instance_warmup_ms} ms, deregistration delay "
        f"{milliseconds(deploy.deregistration_delay)} ms"
    )
    print(f"requests: {len(rows)} sent at {sent_rate:.0f}/s (target {rate:.0f}/s), {failed} failed")
    print(f"  outcomes: {dict(outcomes)}")
    print(f"  before: {len(before)} requests, p50 {b50:.1f} ms, p99 {b99:.1f} ms")
    print(f"  during: {len(during)} requests, p50 {d50:.1f} ms, p99 {d99:.1f} ms")
    print(
        f"duration: {duration:.2f} s; lower bound {lower_bound_s:.2f} s; ratio {duration / lower_bound_s:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=500.0, help="requests per second")
    parser.add_argument("--threads", type=int, default=8, help="client threads sharing the rate")
    parser.add_argument("--warmup", type=int, default=5, help="instance warmup, seconds")
    parser.add_argument("--drain", type=int, default=5, help="deregistration delay, seconds")
    parser.add_argument("--baseline", type=float, default=5.0, help="seconds of load before the rollout")
    args = parser.parse_args()
    run(
        rate=args.rate,
        threads=args.threads,
        warmup_s=args.warmup,
        drain_s=args.drain,
        baseline_s=args.baseline,
    )


if __name__ == "__main__":
    main()
