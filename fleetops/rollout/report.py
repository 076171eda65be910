"""Why a rollout failed, in terms an operator can act on."""

from __future__ import annotations

from dataclasses import dataclass

from fleetops.rollout.health import ProbeRecord


@dataclass(frozen=True)
class FailureReport:
    """The cause of a failed refresh or rollback: which instance, its probes, its last log lines."""

    reason: str
    """One sentence, also the refresh's StatusReason."""
    instance_id: str | None = None
    """The instance that failed, if an instance did."""
    release: str | None = None
    """The release that instance ran."""
    probes: tuple[ProbeRecord, ...] = ()
    """Its last health-check probes with timings, oldest first."""
    log_lines: tuple[str, ...] = ()
    """Its last log lines, oldest first."""
    alarms: tuple[tuple[str, str], ...] = ()
    """Alarm names and states when an alarm caused the failure."""

    def render(self) -> str:
        """A multi-line text for terminals and notifications."""
        lines = [self.reason]
        if self.instance_id is not None:
            lines.append(f"instance {self.instance_id} (release {self.release})")
        if self.probes:
            lines.append("last health checks:")
            lines.extend(f"  {probe.describe()}" for probe in self.probes)
        if self.log_lines:
            lines.append("last log lines:")
            lines.extend(f"  {line}" for line in self.log_lines)
        if self.alarms:
            lines.append("alarms:")
            lines.extend(f"  {name}: {state}" for name, state in self.alarms)
        return "\n".join(lines)
