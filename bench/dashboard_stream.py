"""What the dashboard's live stream costs the control plane, against the REST reads it replaces.

    .venv/bin/python bench/dashboard_stream.py [--reads 30] [--streams 5] [--seconds 20]

One ``fleetops server`` runs a small fleet (menu and notifications, one instance each; one
deployment v1 -> v2 done first). Two measurements in one run:

- one view read: ``GET /api/v1/events?view=...&seconds=0`` (the first view, then the end) for the
  Fleet and Deployment pages, against the REST routes a page would otherwise poll for the same
  content (fleet: ``/fleet`` ``/alarms`` ``/maintenance`` ``/locks`` ``/blocks``; deployment:
  ``/deployments/NAME`` ``/executions/NAME/history``), sequential, p50 of ``--reads``;
- the server's CPU time over ``--seconds`` with ``--streams`` open Fleet streams (each view is read
  again every second), against the same time with none.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import yaml

from fleetops.server.settings import read_server_file
from fleetops.testing.fleet_files import fleet_document
from fleetops.testing.server import run_cli


def timed(call: Callable[[], object], reads: int) -> float:
    """The p50 seconds of ``call``."""
    spent = []
    for _ in range(reads):
        start = time.perf_counter()
        call()
        spent.append(time.perf_counter() - start)
    return statistics.median(spent)


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux: /proc/PID/stat, in clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=30)
    parser.add_argument("--streams", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "shop"
        folder.mkdir()
        document = fleet_document({"menu": {}, "notifications": {"depends_on": ["menu"]}})
        (folder / "fleet.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
        up = run_cli(["up"], cwd=folder, timeout=120)
        assert up.returncode == 0, up.stderr
        try:
            info = read_server_file(folder / ".fleetops")
            assert info is not None
            token = (folder / ".fleetops" / "token").read_text().strip()
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=f"{info['url']}/api/v1", headers=headers, timeout=60) as api:
                deployed = run_cli(
                    ["deploy", "dev", "--version", "v2", "--wait", "-o", "json"], cwd=folder, timeout=180
                )
                assert deployed.returncode == 0, deployed.stderr
                name = api.get("/executions").json()["executions"][0]["execution"]

                def get(*paths: str) -> Callable[[], object]:
                    return lambda: [api.get(path).raise_for_status() for path in paths]

                rows = [
                    (
                        "fleet",
                        get("/events?view=fleet&seconds=0"),
                        get("/fleet", "/alarms", "/maintenance", "/locks", "/blocks"),
                    ),
                    (
                        "deployment",
                        get(f"/events?view=deployment&execution={name}&seconds=0"),
                        get(f"/deployments/{name}", f"/executions/{name}/history"),
                    ),
                ]
                print(f"one view, p50 of {args.reads} sequential reads:")
                for view, stream, rest in rows:
                    streamed, polled = timed(stream, args.reads), timed(rest, args.reads)
                    ratio = streamed / polled
                    print(f"  {view:10} stream {streamed * 1000:6.1f} ms", end="")
                    print(f"   REST routes {polled * 1000:6.1f} ms   ratio {ratio:.2f}")

                pid = int(info["pid"])
                before = cpu_seconds(pid)
                time.sleep(args.seconds)
                idle = cpu_seconds(pid) - before
                stop = threading.Event()

                def watch() -> None:
                    with (
                        httpx.Client(
                            base_url=f"{info['url']}/api/v1", headers=headers, timeout=None
                        ) as client,
                        client.stream(
                            "GET", f"/events?view=fleet&seconds={int(args.seconds) + 5}"
                        ) as response,
                    ):
                        for _ in response.iter_bytes():
                            if stop.is_set():
                                return

                watchers = [threading.Thread(target=watch, daemon=True) for _ in range(args.streams)]
                for thread in watchers:
                    thread.start()
                time.sleep(1)  # every stream open and past its first view
                before = cpu_seconds(pid)
                time.sleep(args.seconds)
                streaming = cpu_seconds(pid) - before
                stop.set()
                share = (streaming - idle) / args.streams / args.seconds * 100
                print(f"server CPU over {args.seconds:g} s: no stream {idle:.2f} s; ", end="")
                print(f"{args.streams} Fleet streams {streaming:.2f} s ({share:.1f}% of a core per stream)")
        finally:
            run_cli(["down"], cwd=folder, timeout=120)


if __name__ == "__main__":
    main()
