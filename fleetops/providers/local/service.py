"""What the local provider needs to know about a service (adapted from the fleet file's models)."""

from __future__ import annotations

import re
import shlex
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

_MATCHER_PART = re.compile(r"^(\d{3})(?:-(\d{3}))?$")


@dataclass(frozen=True)
class LocalHealthCheck:
    """Target-group health check settings (ALB semantics), applied by HAProxy's active checks."""

    path: str = "/health"
    interval: float = 5.0
    """Seconds between checks of one instance."""
    timeout: float = 2.0
    healthy_threshold: int = 2
    """Consecutive passing checks before an instance receives traffic."""
    unhealthy_threshold: int = 2
    """Consecutive failing checks before it is taken out of rotation."""
    matcher: str = "200"
    """HTTP codes that pass: ``200``, ``200,202`` or ``200-299``."""
    grace_period: float = 60.0
    """Seconds a new instance may stay unhealthy before it is replaced (Auto Scaling grace period)."""

    def __post_init__(self) -> None:
        matcher_codes(self.matcher)
        if self.interval <= 0 or self.timeout <= 0:
            raise ValueError("health check interval and timeout must be positive")
        if self.healthy_threshold < 1 or self.unhealthy_threshold < 1:
            raise ValueError("health check thresholds must be at least 1")


def matcher_codes(matcher: str) -> list[int]:
    """The status codes an ALB-style matcher (``200``, ``200,202``, ``200-299``) accepts."""
    codes: list[int] = []
    for part in matcher.split(","):
        match = _MATCHER_PART.match(part.strip())
        if match is None:
            raise ValueError(f"health check matcher {matcher!r}: expected codes like 200, 200,202 or 200-299")
        low = int(match.group(1))
        high = int(match.group(2) or low)
        if not 100 <= low <= high <= 599:
            raise ValueError(f"health check matcher {matcher!r}: {part!r} is not a range of HTTP codes")
        codes.extend(range(low, high + 1))
    return codes


@dataclass(frozen=True)
class ServiceRuntime:
    """How to run a service's instances on this machine."""

    name: str
    command: str
    """Command line; placeholders ``{python}``, ``{port}``, ``{version}``."""
    cwd: Path
    env: Mapping[str, str] = field(default_factory=dict)
    version_env: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Env overrides per version (how a demo defines a bad release)."""
    secrets: tuple[str, ...] = ()
    """Secret names; each is passed as env ``NAME_UPPER_CASED`` (``-`` -> ``_``)."""
    depends_on: tuple[str, ...] = ()
    """Services this one calls: each gets env ``<NAME>_URL`` = its load balancer."""
    datastores: tuple[str, ...] = ()
    """Datastores it uses: each gets env ``<NAME>_URL`` with the login of the instance's secret
    version (made when the instance starts, so a rotated password reaches new instances)."""
    health: LocalHealthCheck = field(default_factory=LocalHealthCheck)
    deregistration_delay: float = 30.0
    """Longest wait for in-flight requests of a draining instance (ends early when none are left)."""
    stop_grace: float = 10.0
    """Seconds between SIGTERM and SIGKILL."""

    def argv(self, *, port: int, version: str, python: str = sys.executable) -> list[str]:
        """The command line of one instance, placeholders filled in."""
        values = {"{python}": python, "{port}": str(port), "{version}": version}
        argv = []
        for token in shlex.split(self.command):
            filled = token
            for placeholder, value in values.items():
                filled = filled.replace(placeholder, value)
            argv.append(filled)
        return argv


def env_name(name: str) -> str:
    """The env var spelling of a service or secret name: upper-cased, ``-`` -> ``_``."""
    return name.upper().replace("-", "_").replace(".", "_")
