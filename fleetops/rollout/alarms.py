"""The alarm gate of a refresh (AlarmSpecification), as AWS documents it.

- "When choosing a CloudWatch alarm, the alarm must be in a compatible state. If the alarm state is
  INSUFFICIENT_DATA or ALARM, you receive an error when you try to start the instance refresh":
  `check_before_start` raises `Refused` (a missing alarm too).
- "If any of the alarms goes into ALARM state, the instance refresh fails": `read` returns a
  failure report.
- "If a metric is frequently missing data points by design, the state of the alarm is
  INSUFFICIENT_DATA ... Amazon EC2 Auto Scaling cannot replace instances until new data points
  are found": `lacks_data` tells the refresh to hold back the next batch.
"""

from __future__ import annotations

from collections.abc import Sequence

from fleetops.errors import Refused
from fleetops.rollout.port import ALARM, INSUFFICIENT_DATA, FleetPort
from fleetops.rollout.report import FailureReport


class AlarmGate:
    """Reads the named alarms through the port and judges their states."""

    def __init__(self, port: FleetPort, names: Sequence[str]) -> None:
        self.names = tuple(names)
        self.states: dict[str, str] = {}
        self._port = port

    async def check_before_start(self) -> None:
        """Raise `Refused` if an alarm is missing, in ALARM or in INSUFFICIENT_DATA."""
        if not self.names:
            return
        states = await self._port.alarm_states(self.names)
        problems = [f"alarm {name!r} does not exist" for name in self.names if name not in states]
        problems += [
            f"alarm {name!r} is in {state}; it must be OK to start"
            for name, state in sorted(states.items())
            if state in (ALARM, INSUFFICIENT_DATA)
        ]
        if problems:
            raise Refused("; ".join(problems))

    async def read(self) -> FailureReport | None:
        """Refresh `states`; a report if an alarm is in ALARM."""
        if not self.names:
            return None
        self.states = dict(await self._port.alarm_states(self.names))
        firing = sorted(name for name, state in self.states.items() if state == ALARM)
        if not firing:
            return None
        return FailureReport(f"Alarm {', '.join(firing)} went into ALARM.", alarms=self.snapshot())

    @property
    def lacks_data(self) -> bool:
        """Whether an alarm was in INSUFFICIENT_DATA at the last read."""
        return INSUFFICIENT_DATA in self.states.values()

    def snapshot(self) -> tuple[tuple[str, str], ...]:
        """The states at the last read, sorted by name, for reports."""
        return tuple(sorted(self.states.items()))
