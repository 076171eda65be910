"""`RefreshOptions`: how an instance refresh times its instances and reports, beyond AWS's
preferences (`fleetops.rollout.preferences`).

A typed value, validated when it is made (every problem at once): a refresh is built from one,
so a bad option is refused before anything runs.
"""

from __future__ import annotations

from dataclasses import dataclass

from fleetops.errors import BadInput

MAX_DEREGISTRATION_DELAY_MS = 3_600_000
"""The target group's limit: 3600 s."""


@dataclass(frozen=True, kw_only=True)
class RefreshOptions:
    """The timings and report sizes of one refresh (milliseconds, as the rollout's clock)."""

    deregistration_delay_ms: int = 300_000
    """The target group's deregistration delay: how long a replaced instance drains (0-3600 s)."""
    health_check_grace_period_ms: int | None = None
    """The group's HealthCheckGracePeriod: a new instance found unhealthy before it is over is
    not replaced yet. None: the preferences' instance warmup (AWS's default)."""
    failure_timeout_ms: int = 3_600_000
    """How long instances that fail health are retried before the refresh fails (AWS: an hour)."""
    alarm_poll_interval_ms: int = 10_000
    """How often the alarms of the preferences are read while the refresh runs."""
    probe_history: int = 10
    """How many of an instance's last probes a failure report shows."""
    log_lines: int = 20
    """How many of an instance's last log lines a failure report shows."""

    def __post_init__(self) -> None:
        self._validate()

    def _validate(self) -> None:
        problems: list[str] = []
        if not 0 <= self.deregistration_delay_ms <= MAX_DEREGISTRATION_DELAY_MS:
            problems.append(f"deregistration delay must be 0-3600 s, got {self.deregistration_delay_ms} ms")
        if self.failure_timeout_ms < 0 or self.alarm_poll_interval_ms <= 0:
            problems.append("failure timeout must be >= 0 and alarm poll interval > 0")
        if problems:
            raise BadInput("invalid instance refresh", problems)
