"""The deployment's smoke gate: a request through a service's load balancer after its rollout.

``smoke_check(client, "http://127.0.0.1:9001", "gateway", spec)`` sends ``GET spec.path`` up to
``spec.attempts`` times (each with ``spec.timeout``) and stops at the first answer ``spec.expect``
matches. Tries follow each other at once: waiting belongs in the runbook definitions, never in a
handler, and the rollout has already waited for health checks and bake time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from fleetops.spec.models import SmokeRequest


@dataclass(frozen=True)
class SmokeResult:
    """What the smoke gate saw: ``passed``, the URL, and each try's status or error, in order."""

    service: str
    path: str
    url: str
    expect: str
    outcomes: tuple[str, ...]
    passed: bool

    @property
    def cause(self) -> str:
        """Why the gate failed: ``smoke request to gateway /api/menu got 503 (3 tries), expected 200``."""
        tries = len(self.outcomes)
        plural = "try" if tries == 1 else "tries"
        return (
            f"smoke request to {self.service} {self.path} got {self.outcomes[-1]} ({tries} {plural}), "
            f"expected {self.expect}"
        )

    def to_json(self) -> dict[str, Any]:
        """JSON-ready values, for the handler's output (progress shows them)."""
        return {
            "path": self.path,
            "url": self.url,
            "expect": self.expect,
            "attempts": list(self.outcomes),
            "passed": self.passed,
        }


def smoke_check(client: httpx.Client, endpoint: str, service: str, spec: SmokeRequest) -> SmokeResult:
    """Send ``spec``'s request to ``endpoint`` (the service's load balancer URL) until it passes."""
    url = endpoint.rstrip("/") + spec.path
    timeout = spec.timeout.total_seconds()
    outcomes: list[str] = []
    for _ in range(spec.attempts):
        try:
            response = client.get(url, timeout=timeout)
        except httpx.HTTPError as err:
            outcomes.append(_error_text(err))
            continue
        outcomes.append(str(response.status_code))
        if spec.matches(response.status_code):
            return SmokeResult(service, spec.path, url, spec.expect, tuple(outcomes), passed=True)
    return SmokeResult(service, spec.path, url, spec.expect, tuple(outcomes), passed=False)


def _error_text(err: httpx.HTTPError) -> str:
    # httpx's messages can be empty (a bare ReadTimeout): the class name still says what happened.
    detail = str(err)
    return f"{type(err).__name__}: {detail}" if detail else type(err).__name__
