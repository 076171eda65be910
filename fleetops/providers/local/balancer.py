"""The supervisor's Balancer on HAProxy: register, drain and remove instances as servers."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from fleetops.providers.local.haproxy import HAProxy
from fleetops.providers.local.runtime_api import StatRow
from fleetops.providers.local.service import ServiceRuntime


class HAProxyBalancer:
    """The supervisor's Balancer, on HAProxy's runtime API.

    It remembers what it registered, so that if HAProxy dies it is started again (same ports)
    and every server put back as it was, within one supervisor tick.
    """

    def __init__(
        self,
        haproxy: HAProxy,
        services: Mapping[str, ServiceRuntime],
        on_restart: Callable[[Mapping[str, Any]], None],
    ) -> None:
        self._haproxy = haproxy
        self._services = services
        self._on_restart = on_restart
        self._lock = threading.Lock()
        self._servers: dict[tuple[str, str], int] = {}
        self._draining: set[tuple[str, str]] = set()
        self._up: set[tuple[str, str]] = set()

    def _add(self, service: str, instance_id: str, port: int, *, healthy: bool = False) -> None:
        health = self._services[service].health
        self._haproxy.api.add_server(
            service,
            instance_id,
            "127.0.0.1",
            port,
            inter_ms=max(1, int(health.interval * 1000)),
            rise=health.healthy_threshold,
            fall=health.unhealthy_threshold,
            healthy=healthy,
        )

    def register(self, service: str, instance_id: str, port: int) -> None:
        with self._lock:
            self._add(service, instance_id, port)
            self._servers[(service, instance_id)] = port

    def keep(self, service: str, instance_id: str, port: int, *, up: bool) -> None:
        with self._lock:
            self._servers[(service, instance_id)] = port
            if up:
                self._up.add((service, instance_id))

    def drain(self, service: str, instance_id: str) -> None:
        with self._lock:
            self._haproxy.api.set_state(service, instance_id, "drain")
            self._draining.add((service, instance_id))

    def remove(self, service: str, instance_id: str) -> None:
        with self._lock:
            self._servers.pop((service, instance_id), None)
            self._draining.discard((service, instance_id))
            if self._haproxy.running():
                self._haproxy.api.delete_server(service, instance_id)

    def stats(self) -> Mapping[tuple[str, str], StatRow]:
        with self._lock:
            if self._haproxy.process is not None and not self._haproxy.running():
                self._restart()
            rows = {(row.backend, row.server): row for row in self._haproxy.api.show_stat()}
            self._up = {key for key, row in rows.items() if row.status.startswith("UP")}
            return rows

    def _restart(self) -> None:
        assert self._haproxy.process is not None
        exit_code = self._haproxy.process.poll()
        self._haproxy.stop()
        self._haproxy.start()
        for (service, instance_id), port in self._servers.items():
            # Servers that were up are put back up, or the supervisor would see them fail.
            self._add(service, instance_id, port, healthy=(service, instance_id) in self._up)
            if (service, instance_id) in self._draining:
                self._haproxy.api.set_state(service, instance_id, "drain")
        self._on_restart(
            {"event": "haproxy restarted", "exit_code": exit_code, "servers": len(self._servers)}
        )
