"""Rolling replacement on the local provider under load: failed requests and throughput.

Two instances of the example menu service behind HAProxy; client threads with keep-alive
connections request through the load balancer while every instance is replaced three times
(launch the new one, wait until InService, terminate the old one with drain). Baseline: the
same load for the same time with no replacement.

    .venv/bin/python bench/local_rolling.py [--clients 16] [--rounds 3]
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

from fleetops.providers.base import InstanceState
from fleetops.providers.local.provider import LocalProvider
from fleetops.testing.local import example_runtime


def _client(url: str, stop: threading.Event, outcomes: Counter[str], lock: threading.Lock) -> None:
    with httpx.Client(timeout=10) as client:
        while not stop.is_set():
            try:
                outcome = str(client.get(url).status_code)
            except httpx.HTTPError as err:
                outcome = type(err).__name__
            with lock:
                outcomes[outcome] += 1


def run(*, clients: int, rounds: int, baseline_seconds: float = 0.0) -> tuple[Counter[str], float]:
    """Outcomes of every request, and the seconds the replacements (or the baseline) took."""
    with (
        tempfile.TemporaryDirectory() as state,
        LocalProvider([example_runtime("menu")], state_dir=Path(state)) as provider,
    ):
        live = [provider.launch("menu", "v1") for _ in range(2)]
        live = [provider.wait_for(i.id, InstanceState.IN_SERVICE, timeout=30) for i in live]
        stop, lock, outcomes = threading.Event(), threading.Lock(), Counter[str]()
        threads = [
            threading.Thread(
                target=_client, args=(provider.endpoint("menu") + "/items", stop, outcomes, lock)
            )
            for _ in range(clients)
        ]
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        started = time.monotonic()
        time.sleep(baseline_seconds)
        for _ in range(rounds if not baseline_seconds else 0):
            for index, old in enumerate(list(live)):
                new = provider.launch("menu", "v2")
                live[index] = provider.wait_for(new.id, InstanceState.IN_SERVICE, timeout=30)
                provider.terminate(old.id)
                provider.wait_for(old.id, InstanceState.TERMINATED, timeout=30)
        elapsed = time.monotonic() - started
        time.sleep(0.5)
        stop.set()
        for thread in threads:
            thread.join()
        return outcomes, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    outcomes, elapsed = run(clients=args.clients, rounds=args.rounds)
    failed = sum(n for outcome, n in outcomes.items() if outcome != "200")
    rate = sum(outcomes.values()) / (elapsed + 1.0)
    print(
        f"rolling: {sum(outcomes.values())} requests, {failed} failed ({dict(outcomes)}),"
        f" {2 * args.rounds} replacements in {elapsed:.1f}s, {rate:.0f} req/s"
    )
    steady, _ = run(clients=args.clients, rounds=0, baseline_seconds=elapsed)
    steady_rate = sum(steady.values()) / (elapsed + 1.0)
    print(f"steady:  {sum(steady.values())} requests in {elapsed:.1f}s, {steady_rate:.0f} req/s")
    print(f"throughput during replacements / steady: {rate / steady_rate:.2f}")


if __name__ == "__main__":
    main()
