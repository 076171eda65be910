"""Five-field cron expressions (minute hour day-of-month month day-of-week), in UTC, as crontab(5)
reads them: ``*``, lists ``1,15``, ranges ``1-5``, steps ``*/15`` and ``8-18/2``, month and day
names (``JAN``, ``SUN``), Sunday as 0 or 7; when both day fields are restricted, either matches.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fleetops.errors import BadInput

_FIELDS = (
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day of month", 1, 31),
    ("month", 1, 12),
    ("day of week", 0, 7),
)
_NAMES = {
    3: {
        m: i + 1
        for i, m in enumerate(
            ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
        )
    },
    4: {d: i for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])},
}
MINUTE = timedelta(minutes=1)


def _value(text: str, index: int) -> int:
    named = _NAMES.get(index, {}).get(text.upper())
    if named is not None:
        return named
    if not text.isdigit():
        raise ValueError(f"{text!r} is not a number")
    return int(text)


def _field(text: str, index: int) -> frozenset[int]:
    name, low, high = _FIELDS[index]
    values: set[int] = set()
    for part in text.split(","):
        base, _, step_text = part.partition("/")
        try:
            step = int(step_text) if step_text else 1
            if step < 1:
                raise ValueError(f"step {step_text!r} must be at least 1")
            if base == "*":
                first, last = low, high
            elif "-" in base:
                start, _, end = base.partition("-")
                first, last = _value(start, index), _value(end, index)
            else:
                first = last = _value(base, index)
                if step_text:
                    last = high
        except ValueError as err:
            raise BadInput(f"cron {name} {part!r}: {err}") from err
        if not low <= first <= last <= high:
            raise BadInput(f"cron {name} {part!r}: expected values from {low} to {high}, in order")
        values.update(range(first, last + 1, step))
    if index == 4 and 7 in values:
        values = (values - {7}) | {0}
    return frozenset(values)


@dataclass(frozen=True)
class Cron:
    """A parsed cron expression; ``matches`` a minute, finds the last one at or before a time."""

    text: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    """0 is Sunday."""
    any_day: bool
    any_weekday: bool

    @classmethod
    def parse(cls, text: str) -> Cron:
        """``BadInput`` naming the field and what it allows."""
        parts = text.split()
        if len(parts) != len(_FIELDS):
            raise BadInput(
                f"cron {text!r}: expected 5 fields (minute hour day-of-month month day-of-week), "
                f"got {len(parts)}"
            )
        minutes, hours, days, months, weekdays = (_field(part, index) for index, part in enumerate(parts))
        return cls(
            text, minutes, hours, days, months, weekdays, any_day=parts[2] == "*", any_weekday=parts[4] == "*"
        )

    def matches(self, moment: datetime) -> bool:
        """Whether the minute of ``moment`` (UTC) is one the expression names."""
        if (
            moment.minute not in self.minutes
            or moment.hour not in self.hours
            or moment.month not in self.months
        ):
            return False
        day = moment.day in self.days
        weekday = (moment.isoweekday() % 7) in self.weekdays
        if self.any_day or self.any_weekday:
            return day and weekday
        return day or weekday

    def last_at_or_before(self, moment: datetime, *, within: timedelta) -> datetime | None:
        """The latest minute named at or before ``moment`` and after ``moment - within``."""
        moment = moment.astimezone(UTC)
        minute = moment.replace(second=0, microsecond=0)
        earliest = moment - within
        while minute > earliest:
            if self.matches(minute):
                return minute
            minute -= MINUTE
        return None
