"""`make demo`: the restaurant fleet on this machine, deployed twice under load, through the CLI.

1. `fleetops up`: a copy of `examples/restaurant` (in a temporary folder, so nothing is left in
   the repository) starts at v1: a control plane, HAProxy, and a process per instance.
2. Steady load: one client sends requests to the gateway through HAProxy at a fixed rate, with
   no retries, and counts the failed ones.
3. `fleetops deploy dev --version v2 --wait`: every service, in dependency waves.
4. `fleetops deploy dev --version v3-bad --services orders --wait`: a release whose instances
   turn unhealthy after 5 s; fleetops detects it, rolls it back, and exits 1.
5. A summary per deployment: services, duration, failed requests during it, rollback time.
6. `fleetops down`, always (also after an error or Ctrl-C).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console

from fleetops.bench.sandbox import Sandbox, copy_example, fleetops_command, fleetops_env

RATE_PER_SECOND = 20.0
ENVIRONMENT = "dev"


console = Console(highlight=False)


def say(text: str) -> None:
    console.print(f"\n[bold]== {text}[/]")


def _env() -> dict[str, str]:
    env = fleetops_env()
    if not sys.stdout.isatty():
        env.setdefault("COLUMNS", "120")  # tables in a log are not cut at 80 columns
    return env


def fleetops(folder: Path, *args: str, expect: int = 0) -> None:
    """Run `fleetops ARGS` in the fleet's folder, its output shown; fail unless it exits `expect`."""
    console.print(f"[cyan]$ fleetops {' '.join(args)}[/]")
    sys.stdout.flush()
    code = subprocess.run(fleetops_command(*args), cwd=folder, env=_env(), check=False).returncode
    if code != expect:
        raise SystemExit(f"demo failed: `fleetops {' '.join(args)}` exited {code}, expected {expect}")


def show_waves(folder: Path, version: str) -> None:
    """The deployment's waves and estimated duration, from `fleetops plan -o json`."""
    args = ["plan", ENVIRONMENT, "--version", version, "-o", "json"]
    console.print(f"[cyan]$ fleetops {' '.join(args)}[/]")
    command = fleetops_command(*args)
    done = subprocess.run(command, cwd=folder, env=_env(), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"demo failed: `fleetops plan` exited {done.returncode}: {done.stderr}")
    plan = json.loads(done.stdout)
    for number, wave in enumerate(plan["waves"], start=1):
        console.print(f"  wave {number}: {', '.join(wave)}")
    console.print(f"  estimated: {plan['estimate']['text']} (services of a wave roll out in parallel)")


@dataclass
class Load:
    """Requests to the gateway at a fixed rate from one thread; each outcome with its time."""

    gateway: str
    rate: float = RATE_PER_SECOND
    outcomes: list[tuple[float, bool]] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="load", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def between(self, start: float, end: float) -> tuple[int, int]:
        """(requests, failed) sent between two `time.monotonic()` instants."""
        window = [ok for at, ok in list(self.outcomes) if start <= at <= end]
        return len(window), window.count(False)

    def _run(self) -> None:
        # No retries: a request that fails counts as failed, as it would for a customer.
        with httpx.Client(base_url=self.gateway, timeout=5, transport=httpx.HTTPTransport(retries=0)) as http:
            token = ""
            began = time.monotonic()
            for n in range(10**9):
                due = began + n / self.rate
                if self._stop.wait(max(0.0, due - time.monotonic())):
                    return
                at = time.monotonic()
                try:
                    if not token:
                        answer = http.post("/api/token", json={"user": "demo"})
                        token = answer.json()["token"] if answer.status_code == 200 else ""
                        ok, why = answer.status_code == 200, str(answer.status_code)
                    else:
                        ok, why = self._request(http, n, token)
                except (httpx.HTTPError, ValueError) as err:
                    ok, why = False, type(err).__name__
                self.outcomes.append((at, ok))
                if not ok:
                    self.errors[why] = self.errors.get(why, 0) + 1

    @staticmethod
    def _request(http: httpx.Client, n: int, token: str) -> tuple[bool, str]:
        headers = {"authorization": f"Bearer {token}"}
        kind = n % 3
        if kind == 0:
            answer = http.get("/api/menu")
        elif kind == 1:
            answer = http.post("/api/orders", json={"items": [1, 2]}, headers=headers)
        else:
            answer = http.get("/api/orders", headers=headers)
        request = answer.request
        return answer.status_code < 400, f"{request.method} {request.url.path} {answer.status_code}"


@dataclass(frozen=True)
class Deployment:
    """One deployment of the demo, as the summary shows it."""

    label: str
    execution: str
    status: str
    services: Sequence[str]
    duration_s: float
    requests: int
    failed: int
    rollback_s: float | None
    detected_after_s: float | None


def _dates(progress: dict[str, Any]) -> tuple[datetime, datetime]:
    return datetime.fromisoformat(progress["start_date"]), datetime.fromisoformat(progress["stop_date"])


def describe(sandbox: Sandbox, label: str, load: Load, window: tuple[float, float]) -> Deployment:
    """The newest deployment's figures, from the control plane's API."""
    with sandbox.client() as api:
        newest = api.get("/executions", params={"runbook": "deploy", "limit": 1}).json()["executions"][0]
        name = newest["execution"]
        progress = api.get(f"/deployments/{name}").json()
        events = api.get(f"/executions/{name}/history").json()["events"]
    began, ended = _dates(progress)
    rollback_s = detected_s = None
    for event in events:
        details = next((v for k, v in event.items() if k.endswith("EventDetails")), {})
        if isinstance(details, dict) and details.get("name") == "RollbackPlan":
            at = datetime.fromisoformat(event["timestamp"])
            detected_s, rollback_s = (at - began).total_seconds(), (ended - at).total_seconds()
            break
    requests, failed = load.between(*window)
    return Deployment(
        label=label,
        execution=name,
        status=progress["status"],
        services=[f"{row['service']}@{row['wave']}" for row in progress["services"]],
        duration_s=(ended - began).total_seconds(),
        requests=requests,
        failed=failed,
        rollback_s=rollback_s,
        detected_after_s=detected_s,
    )


def deploy(sandbox: Sandbox, load: Load, label: str, args: Sequence[str], expect: int) -> Deployment:
    start = time.monotonic()
    fleetops(sandbox.fleet_file.parent, "deploy", ENVIRONMENT, *args, "--wait", expect=expect)
    return describe(sandbox, label, load, (start, time.monotonic()))


def versions(sandbox: Sandbox) -> dict[str, list[str]]:
    """Service -> versions its instances in service run."""
    with sandbox.client() as api:
        status = api.get("/fleet").json()
    return {
        s["name"]: sorted({i["version"] for i in s["instances"] if i["state"] == "InService"})
        for s in status["services"]
    }


def summary(deployments: Sequence[Deployment], load: Load, wall_s: float) -> None:
    say("Summary")
    header = ("deployment", "result", "services (@wave)", "duration", "requests", "failed", "rollback")
    rows = [
        (
            d.label,
            d.status,
            " ".join(d.services),
            f"{d.duration_s:.1f}s",
            str(d.requests),
            str(d.failed),
            "-"
            if d.rollback_s is None
            else f"{d.rollback_s:.1f}s (failure detected {d.detected_after_s:.1f}s in)",
        )
        for d in deployments
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    total = len(load.outcomes)
    failed = sum(1 for _, ok in load.outcomes if not ok)
    print(f"\nload: {total} requests at {load.rate:.0f}/s through HAProxy, {failed} failed", end="")
    print(f" ({', '.join(f'{k}: {v}' for k, v in sorted(load.errors.items()))})" if failed else "")
    print(f"wall time: {wall_s:.0f}s")


def run(folder: Path, began: float) -> None:
    sandbox = Sandbox(copy_example(folder), ENVIRONMENT)
    say(f"The restaurant fleet (6 services) at v1, in {folder}")
    fleetops(folder, "up", "--version", "v1")
    with sandbox.client() as api:
        gateway = next(s["endpoint"] for s in api.get("/fleet").json()["services"] if s["name"] == "gateway")
    load = Load(gateway)
    say(f"Steady load: {RATE_PER_SECOND:.0f} requests/s to the gateway at {gateway} (no retries)")
    load.start()
    time.sleep(2)
    print(f"{len(load.outcomes)} requests so far, {sum(1 for _, ok in load.outcomes if not ok)} failed")
    deployments: list[Deployment] = []
    try:
        say("Deploy v2 to every service, in dependency waves")
        show_waves(folder, "v2")
        deployments.append(deploy(sandbox, load, "v2, all services", ["--version", "v2"], expect=0))
        fleetops(folder, "status")
        say("Deploy a bad release of orders (v3-bad: healthy at first, then its health checks fail)")
        print("expected: the failure is detected, orders is rolled back to v2, and the command exits 1")
        deployments.append(
            deploy(sandbox, load, "v3-bad, orders", ["--version", "v3-bad", "--services", "orders"], expect=1)
        )
        fleetops(folder, "status")
    finally:
        load.stop()
    now = versions(sandbox)
    if any(v != ["v2"] for v in now.values()):
        raise SystemExit(f"demo failed: after the rollback the fleet runs {json.dumps(now)}, not only v2")
    summary(deployments, load, time.monotonic() - began)


def main() -> None:
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="fleetops-demo-") as scratch:
        folder = Path(scratch) / "restaurant"
        try:
            run(folder, began)
        except KeyboardInterrupt:
            print("\ninterrupted", file=sys.stderr)
            raise SystemExit(130) from None
        finally:
            if (folder / "fleet.yaml").exists():
                # A second Ctrl-C must not leave the fleet running: stopping it is not interruptible.
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                say("Stop everything")
                fleetops(folder, "down")
    print(f"done in {time.monotonic() - began:.0f}s")


if __name__ == "__main__":
    main()
