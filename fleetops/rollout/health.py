"""Target-group health checks with Application Load Balancer semantics.

What AWS documents (Elastic Load Balancing, "Health checks for Application Load Balancer target
groups"), and how it is implemented here:

- "The load balancer sends a health check request to each registered target every
  HealthCheckIntervalSeconds seconds ... The time that it takes for the target to respond does not
  affect the interval for the next health check request": probes start `interval_ms` apart,
  start to start.
- "After your target is registered, it must pass one health check to be considered healthy": a
  target in state `initial` becomes `healthy` on its first success.
- "If the health checks exceed UnhealthyThresholdCount consecutive failures, the load balancer takes
  the target out of service. When the health checks exceed HealthyThresholdCount consecutive
  successes, the load balancer puts the target back in service": `healthy -> unhealthy` after
  `unhealthy_threshold` consecutive failures, `unhealthy -> healthy` after `healthy_threshold`
  consecutive successes. A target still `initial` also becomes `unhealthy` after
  `unhealthy_threshold` consecutive failures (AWS names no other way out of `initial`).
- A response slower than HealthCheckTimeoutSeconds, a connection error, or a status code outside
  the matcher (`"200"`, `"200-299"`, `"200,204"`; codes 200-499 as ALB allows) is a failure.

Where this deliberately differs: AWS bounds the interval to 5-300 s and the timeout to 2-120 s.
The local world runs health checks every few hundred milliseconds, so only the relations are
enforced here (positive values, timeout shorter than interval, thresholds 2-10).
"""

from __future__ import annotations

import collections
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from fleetops.errors import BadInput


def _parse_matcher(text: str) -> tuple[tuple[int, int], ...]:
    """`"200"`, `"200-299"`, `"200,204"` -> inclusive ranges; raises ValueError with the reason."""
    ranges: list[tuple[int, int]] = []
    for raw in text.split(","):
        part = raw.strip()
        low_text, _, high_text = part.partition("-")
        if not low_text.isdigit() or (high_text and not high_text.isdigit()):
            raise ValueError(f"{part!r} is not a status code or a range like 200-299")
        low, high = int(low_text), int(high_text or low_text)
        if not 200 <= low <= high <= 499:
            raise ValueError(f"{part!r} is outside 200-499 or its range is reversed")
        ranges.append((low, high))
    return tuple(ranges)


@dataclass(frozen=True)
class ProbePolicy:
    """A target group's health check settings (ALB names, milliseconds instead of seconds)."""

    interval_ms: int = 30_000
    """HealthCheckIntervalSeconds: time between the starts of two probes of one target."""
    timeout_ms: int = 5_000
    """HealthCheckTimeoutSeconds: a probe that takes longer is a failure."""
    healthy_threshold: int = 5
    """HealthyThresholdCount: consecutive successes that bring an unhealthy target back."""
    unhealthy_threshold: int = 2
    """UnhealthyThresholdCount: consecutive failures that take a target out of service."""
    matcher: str = "200"
    """Matcher.HttpCode: `"200"`, `"200-299"` or `"200,204"`."""
    path: str = "/health"
    """HealthCheckPath, passed to the port's probe; the rollout itself does not read it."""
    _ranges: tuple[tuple[int, int], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        problems: list[str] = []
        if self.interval_ms <= 0:
            problems.append(f"health check interval must be positive, got {self.interval_ms} ms")
        if not 0 < self.timeout_ms < self.interval_ms:
            problems.append(
                f"health check timeout must be positive and shorter than the interval "
                f"({self.interval_ms} ms), got {self.timeout_ms} ms"
            )
        for name in ("healthy_threshold", "unhealthy_threshold"):
            value = getattr(self, name)
            if not 2 <= value <= 10:
                problems.append(f"health check {name} must be 2-10, got {value}")
        try:
            ranges = _parse_matcher(self.matcher)
        except ValueError as err:
            problems.append(f"health check matcher {self.matcher!r}: {err}")
            ranges = ()
        if problems:
            raise BadInput("invalid health check settings", problems)
        object.__setattr__(self, "_ranges", ranges)

    def matches(self, status_code: int) -> bool:
        """Whether a response with this status code counts as a success."""
        return any(low <= status_code <= high for low, high in self._ranges)


@dataclass(frozen=True)
class ProbeResult:
    """What one health-check request returned, as the port reports it."""

    status_code: int | None
    """The HTTP status, or None when no response came (refused, reset, timed out)."""
    elapsed_ms: int
    """How long the request took."""
    error: str | None = None
    """Why there was no response, in words (e.g. `connection refused`)."""


@dataclass(frozen=True)
class ProbeRecord:
    """One probe as the health tracker judged it: when, what came back, pass or fail and why."""

    at_ms: int
    status_code: int | None
    elapsed_ms: int
    passed: bool
    reason: str

    def describe(self) -> str:
        """One line for a failure report, e.g. `12:00:01.250Z 503 in 4ms: fail (status 503 not in
        200)`; on a clock counting from 0 (a test's) the time is `t=12000ms`."""
        code = "-" if self.status_code is None else str(self.status_code)
        verdict = "pass" if self.passed else f"fail ({self.reason})"
        return f"{_moment(self.at_ms)} {code} in {self.elapsed_ms}ms: {verdict}"


_EPOCH_MS_FROM = 10**11
"""Clock readings from here on (1973) are Unix times in milliseconds: shown as a time of day."""


def _moment(at_ms: int) -> str:
    if at_ms < _EPOCH_MS_FROM:
        return f"t={at_ms}ms"
    return datetime.fromtimestamp(at_ms / 1000, UTC).strftime("%H:%M:%S.%f")[:-3] + "Z"


class TargetState(StrEnum):
    """ELBv2 target health states the tracker moves through."""

    INITIAL = "initial"
    HEALTHY = "healthy"
    UNHEALTHY = "unhealthy"


class HealthTracker:
    """The health state of one target, fed one probe result at a time.

    Keeps the last `history` probes (with their timings) for failure reports.
    """

    def __init__(self, check: ProbePolicy, *, history: int = 10) -> None:
        self._check = check
        self.state = TargetState.INITIAL
        self._successes = 0
        self._failures = 0
        self._history: collections.deque[ProbeRecord] = collections.deque(maxlen=history)

    @property
    def history(self) -> tuple[ProbeRecord, ...]:
        """The most recent probes, oldest first."""
        return tuple(self._history)

    def judge(self, result: ProbeResult) -> tuple[bool, str]:
        """Whether a probe result is a success, and the reason when it is not."""
        if result.elapsed_ms >= self._check.timeout_ms:
            return False, f"timed out after {self._check.timeout_ms}ms"
        if result.status_code is None:
            return False, result.error or "no response"
        if not self._check.matches(result.status_code):
            return False, f"status {result.status_code} not in {self._check.matcher}"
        return True, ""

    def record(self, at_ms: int, result: ProbeResult) -> TargetState:
        """Apply one probe started at `at_ms`; return the new state."""
        passed, reason = self.judge(result)
        self._history.append(ProbeRecord(at_ms, result.status_code, result.elapsed_ms, passed, reason))
        if passed:
            self._successes += 1
            self._failures = 0
            if self.state is TargetState.INITIAL or (
                self.state is TargetState.UNHEALTHY and self._successes >= self._check.healthy_threshold
            ):
                self.state = TargetState.HEALTHY
        else:
            self._failures += 1
            self._successes = 0
            if self._failures >= self._check.unhealthy_threshold:
                self.state = TargetState.UNHEALTHY
        return self.state
