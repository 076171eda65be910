"""Running a service's simple scaling policies (``store.simple_policies``): from an alarm whose
actions name one (``AlarmActions``' ``execute_policy``; the cooldown is always honoured) and
from the AWS endpoint's ExecutePolicy (honoured when asked).

A run passes the gates every change passes (maintenance, a blocked service, the environment's
lock), computes the new capacity (``fleetops.ops.simple_scaling``), applies it through the
runtime's ``scale`` with a cause naming the policy (its scaling activity), and records when the
policy ran in the store, where the group's cooldown is read from: so the cooldown holds across
threads, servers on one store and restarts. Runs of one process are serialised, so two alarms
firing at once do not both pass a cooldown.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from fleetops.clock import SYSTEM_CLOCK, Clock
from fleetops.errors import BadInput, Refused
from fleetops.ops.gates import check_change
from fleetops.ops.simple_scaling import SimpleScalingPolicy, cooldown_end, new_capacity
from fleetops.runbooks.ports import FleetControl
from fleetops.store import Store
from fleetops.store.simple_policies import SimplePolicyRow

_LOCK = threading.Lock()


class PolicyNotFound(BadInput):
    """The group has no simple scaling policy of that name."""


class InCooldown(Refused):
    """The group's cooldown has not ended (a run that honours it)."""


@dataclass(frozen=True)
class Executed:
    """What one run did: the capacity before and after (equal: nothing to change)."""

    policy: str
    before: int
    after: int

    def describe(self) -> str:
        """``desired capacity 2 -> 3`` or why nothing changed."""
        if self.before == self.after:
            return f"desired capacity stays {self.before} (at the group's bounds)"
        return f"desired capacity {self.before} -> {self.after}"


def policy_of(row: SimplePolicyRow) -> SimpleScalingPolicy:
    """The policy a stored row holds."""
    return SimpleScalingPolicy(
        name=row.name,
        adjustment_type=row.adjustment_type,
        scaling_adjustment=row.scaling_adjustment,
        min_adjustment_magnitude=row.min_adjustment_magnitude,
        cooldown_s=row.cooldown_s,
        enabled=row.enabled,
    )


def execute(
    store: Store,
    runtime: FleetControl,
    service: str,
    name: str,
    *,
    honor_cooldown: bool,
    trigger: str,
    desired: Callable[[str], int],
    clock: Clock = SYSTEM_CLOCK,
) -> Executed:
    """Run ``service``'s policy ``name`` on ``runtime`` (whose current desired count
    ``desired`` reads). ``trigger`` starts the activity's cause (``a user request executed
    policy``). PolicyNotFound, BadInput (disabled), InCooldown, Refused (gates, a rollout)."""
    environment = runtime.environment
    with _LOCK:
        rows = store.simple_policies.list(environment, service)
        row = next((r for r in rows if r.name == name), None)
        if row is None:
            raise PolicyNotFound(
                f"service {service!r} of {environment} has no simple scaling policy {name!r}"
            )
        policy = policy_of(row)
        if not policy.enabled:
            raise BadInput(f"scaling policy {name!r} is disabled (put it again with Enabled true)")
        check_change(store, environment, [service], action=f"scaling policy {name} of {service}", clock=clock)
        now = clock.now()
        if honor_cooldown:
            ends = cooldown_end((r.executed_at, policy_of(r)) for r in rows if r.executed_at is not None)
            if ends is not None and now < ends:
                raise InCooldown(
                    f"the cooldown of {service!r} runs until {_iso(ends)} (a simple scaling policy "
                    "changed its capacity): the policy was not run"
                )
        bounds = runtime.fleet.service(service, environment).instances
        before = desired(service)
        after = new_capacity(policy, before, minimum=bounds.min, maximum=bounds.max)
        if after != before:
            runtime.scale(service, after, cause=f"{trigger} {name}")
            store.simple_policies.executed(environment, service, name, now)
        return Executed(name, before, after)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
