"""Composite alarms, pure: a rule over other alarms' states in, a state and held actions out.

A composite alarm is ALARM while its rule (``spec.alarm_rule``) is TRUE and OK otherwise; it
starts INSUFFICIENT_DATA until first evaluated, as a new CloudWatch alarm does. An alarm the rule
names that has several targets (a template watched by several services) is in ALARM when one of
them is, else INSUFFICIENT_DATA when one is, else OK.

Actions suppression, as PutCompositeAlarm defines it (``ActionsSuppressor``,
``ActionsSuppressorWaitPeriod``, ``ActionsSuppressorExtensionPeriod``):

- going into ALARM while the suppressor is in ALARM: the actions are held (``Alarm``);
- going into ALARM while it is not: they are held for the wait period (``WaitPeriod``), "the
  maximum time ... that the composite alarm waits for the suppressor alarm to go into the ALARM
  state. After this time, the composite alarm performs its actions"; the suppressor going into
  ALARM meanwhile holds them (``Alarm``);
- the suppressor leaving ALARM: they stay held for the extension period (``ExtensionPeriod``),
  after which they are performed; the suppressor back in ALARM holds them again;
- the composite leaving ALARM drops held actions; its OK actions run only if its ALARM actions
  ran (nobody is told an alarm cleared that they never heard of).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import cache
from typing import Any

from fleetops.ops.alarms.evaluation import AlarmState
from fleetops.spec.alarm_rule import Rule, holds, parse_rule
from fleetops.spec.resources import CompositeAlarm

INITIAL_REASON = "Unchecked: Initial alarm creation"
BY_ALARM = "Alarm"
BY_WAIT = "WaitPeriod"
BY_EXTENSION = "ExtensionPeriod"


@cache
def _parsed(rule: str) -> Rule:
    return parse_rule(rule)


def combined(states: Iterable[str]) -> str:
    """The state of an alarm with several targets (see the module docstring)."""
    found = set(states)
    if AlarmState.ALARM in found:
        return AlarmState.ALARM.value
    if AlarmState.INSUFFICIENT_DATA in found or not found:
        return AlarmState.INSUFFICIENT_DATA.value
    return AlarmState.OK.value


@dataclass(frozen=True)
class CompositeStatus:
    """One composite alarm as ``describe-alarms --alarm-types CompositeAlarm`` shows it."""

    name: str
    composite: CompositeAlarm
    state: AlarmState
    reason: str
    updated_at: datetime
    suppressed_by: str | None = None
    """Why actions are held now (``Alarm``, ``WaitPeriod``, ``ExtensionPeriod``), or None."""
    held_until: datetime | None = None
    """End of the wait or extension period under way."""
    evaluated_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON for the API."""
        c = self.composite
        return {
            "name": self.name,
            "service": "",
            "type": "CompositeAlarm",
            "state": self.state.value,
            "reason": self.reason,
            "updated": _iso(self.updated_at),
            "evaluated": _iso(self.evaluated_at) if self.evaluated_at else None,
            "rule": c.rule,
            "actions_suppressor": c.actions_suppressor,
            "wait_period_s": c.wait_period.total_seconds(),
            "extension_period_s": c.extension_period.total_seconds(),
            "actions_suppressed_by": self.suppressed_by,
            "description": c.description,
        }


@dataclass(frozen=True)
class Step:
    """One evaluation's outcome: the new status, whether the state changed, and whether the
    actions of its (current) state are to run now."""

    status: CompositeStatus
    changed: bool
    act: bool


def new_status(name: str, composite: CompositeAlarm, now: datetime) -> CompositeStatus:
    """A composite alarm before its first evaluation."""
    return CompositeStatus(name, composite, AlarmState.INSUFFICIENT_DATA, INITIAL_REASON, now)


def _reason(composite: CompositeAlarm, states: Mapping[str, str], value: bool) -> str:
    named = ", ".join(f"{name} is {states[name]}" for name in composite.references)
    return f"Rule {'TRUE' if value else 'FALSE'}: {composite.rule} ({named or 'no alarm named'})"


def step(status: CompositeStatus, states: Mapping[str, str], now: datetime) -> Step:
    """Evaluate ``status``'s rule on ``states`` (every name it references) at ``now``."""
    composite = status.composite
    value = holds(_parsed(composite.rule), states)
    state = AlarmState.ALARM if value else AlarmState.OK
    suppressor = composite.actions_suppressor
    suppressor_in_alarm = suppressor is not None and states.get(suppressor) == AlarmState.ALARM
    held = status.suppressed_by is not None
    current = replace(status, evaluated_at=now)
    if state != status.state:
        after = replace(
            current, state=state, reason=_reason(composite, states, value), updated_at=now,
            suppressed_by=None, held_until=None,
        )  # fmt: skip
        if state != AlarmState.ALARM:
            # OK actions only after ALARM actions that ran.
            return Step(after, True, status.state == AlarmState.ALARM and not held)
        if suppressor is None:
            return Step(after, True, True)
        if suppressor_in_alarm:
            return Step(replace(after, suppressed_by=BY_ALARM), True, False)
        if composite.wait_period.total_seconds() > 0:
            until = now + composite.wait_period
            return Step(replace(after, suppressed_by=BY_WAIT, held_until=until), True, False)
        return Step(after, True, True)
    if not held:
        return Step(current, False, False)
    released = replace(current, suppressed_by=None, held_until=None)
    if status.suppressed_by in (BY_WAIT, BY_EXTENSION):
        if suppressor_in_alarm:
            return Step(replace(current, suppressed_by=BY_ALARM, held_until=None), False, False)
        if status.held_until is not None and now >= status.held_until:
            return Step(released, False, True)
        return Step(current, False, False)
    # Held by the suppressor's ALARM.
    if suppressor_in_alarm:
        return Step(current, False, False)
    if composite.extension_period.total_seconds() > 0:
        until = now + composite.extension_period
        return Step(replace(current, suppressed_by=BY_EXTENSION, held_until=until), False, False)
    return Step(released, False, True)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
