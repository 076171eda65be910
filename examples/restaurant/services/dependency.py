"""Another service, called over HTTP through its load balancer (gateway and orders call others).

Apart from ``common.py``, so that the services calling no other (auth, menu, notifications,
payments) never import httpx: about a third of their start's CPU.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

import httpx

# A dependency's health is cached so health checks of a deep fleet do not multiply: a healthy
# answer for 5 s, a failing one for 1 s. Each instance is checked every second; with 1 s for
# both, every check of gateway and orders asked each dependency again (twice the health traffic
# of the fleet, most of an idle instance's CPU). A dependency that fails is seen within 5 s; one
# that comes back (at start-up, after a rollout) is seen within a second, as before.
DEPENDENCY_HEALTH_TTL = 5.0
DEPENDENCY_FAILURE_TTL = 1.0


class Dependency:
    """Another service, reached through its load balancer at ``<NAME>_URL``."""

    def __init__(self, name: str, url: str, *, required: bool) -> None:
        self.name = name
        self.url = url.rstrip("/")
        self.required = required
        # httpx loads the CA bundle into a TLS context for every client (~20 ms of CPU at each
        # start) unless told not to verify: an http:// load balancer is sent nothing over TLS.
        self._client = httpx.AsyncClient(
            base_url=self.url, timeout=5.0, verify=self.url.startswith("https://")
        )
        self._checked_at = -1e9
        self._healthy = False
        self._lock = asyncio.Lock()

    @classmethod
    def from_env(cls, name: str, env: Mapping[str, str], *, required: bool) -> Dependency:
        """The dependency ``name``; its URL comes from ``<NAME>_URL`` (upper-cased, ``-`` -> ``_``)."""
        var = f"{name.upper().replace('-', '_')}_URL"
        url = env.get(var)
        if not url:
            raise ValueError(f"{var} is not set: the URL of the {name} service's load balancer")
        return cls(name, url, required=required)

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send a request to the dependency."""
        return await self._client.request(method, path, **kwargs)

    async def healthy(self) -> bool:
        """Whether the dependency's /health answers 200; cached for ``DEPENDENCY_HEALTH_TTL``
        (healthy) or ``DEPENDENCY_FAILURE_TTL`` (not)."""
        async with self._lock:
            ttl = DEPENDENCY_HEALTH_TTL if self._healthy else DEPENDENCY_FAILURE_TTL
            if time.monotonic() - self._checked_at < ttl:
                return self._healthy
            try:
                response = await self._client.get("/health", timeout=2.0)
                self._healthy = response.status_code == 200
            except httpx.HTTPError:
                self._healthy = False
            self._checked_at = time.monotonic()
            return self._healthy

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()
