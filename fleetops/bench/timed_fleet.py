"""The fleet ``fleetops bench orchestrator`` deploys to: no real work, the rollouts' real timing.

Each environment's runtime is an ``InMemoryFleetRuntime`` (``fleetops.testing.fleet_runtime``):
every service a ``FakeFleet`` whose instances answer their health checks at once, and every
rollout a real ``InstanceRefresh`` (the service's health, warmup, deregistration delay,
checkpoints and bake from the fleet file) timed by the wall clock, so a rollout lasts what its
settings imply and nothing more: no process starts, no HAProxy, no probe over the network. All
environments' rollouts share one event-loop thread (``TimedFleets``): the fake's own cost stays
small and apart from the control plane's. Smoke gates get a real HTTP answer from one loopback
responder (``HealthResponder``, run by the bench outside the server) standing in for every load
balancer; it also takes the fleet's webhook notifications.

Only ``fleetops.bench.orchestrator_server`` uses it (through ``serve(opener=...)``): it is not a
provider a fleet file can name.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from fleetops.clock import SYSTEM_CLOCK
from fleetops.control.environments import Opener
from fleetops.runbooks.ports import FleetControl
from fleetops.spec.fleet import Fleet
from fleetops.testing.fleet_runtime import InMemoryFleetRuntime


class _Healthy(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self._ok()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._ok()

    def _ok(self) -> None:
        body = b'{"status": "ok"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


class HealthResponder:
    """A loopback HTTP server answering 200 to every GET and POST: every service's load
    balancer, and the webhook of the fleet's notifications."""

    def __init__(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Healthy)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="health-responder", daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        """Its base URL."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def close(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()


class TimedFleets:
    """The event-loop thread every environment's fake rollouts run on, and the opener of their
    runtimes (``opener``, for ``serve``); ``endpoint``: every service's load-balancer URL."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="timed-fleets", daemon=True)
        self._thread.start()
        self.runtimes: list[InMemoryFleetRuntime] = []

    def opener(self) -> Opener:
        """Builds each environment's runtime: fake fleets, real-time rollouts."""

        def open_runtime(
            fleet: Fleet, environment: str, initial_version: str, _running: Sequence[FleetControl]
        ) -> FleetControl:
            runtime = InMemoryFleetRuntime(
                fleet,
                environment,
                clock=SYSTEM_CLOCK,
                loop=self.loop,
                initial_version=initial_version,
                keep_calls=False,
            )
            runtime.endpoints = dict.fromkeys(runtime.endpoints, self.endpoint)
            self.runtimes.append(runtime)
            return runtime

        return open_runtime

    def close(self) -> None:
        """Stop the loop thread."""
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        if not self._thread.is_alive():
            self.loop.close()
