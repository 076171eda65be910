"""The alarms of the running environments under their CloudWatch names, for CloudWatch's
operations and for the scaling policies their actions name.

An alarm with its own ``service`` is named as in the fleet file; a template alarm (no
``service``) is one alarm per service watching it, named ``<group>-<alarm>``
(``restaurant-orders-high-5xx``); an alarm on a stored metric of no service (fleetops/Deployments)
is named as in the fleet file, without a group.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from fleetops.ops.alarms import AlarmMonitor
from fleetops.ops.alarms.monitor import AlarmStatus
from fleetops.server.aws.operations import Call
from fleetops.server.aws.resources import ACCOUNT, Group


@dataclass(frozen=True)
class Target:
    """One alarm of one service (or of none) of one environment, under its CloudWatch name."""

    name: str
    environment: str
    group: Group | None
    """The service's group (None: an alarm of no service)."""
    monitor: AlarmMonitor
    status: AlarmStatus

    def arn(self, region: str) -> str:
        """The alarm's ARN."""
        return f"arn:aws:cloudwatch:{region}:{ACCOUNT}:alarm:{self.name}"

    @property
    def policy_arns(self) -> list[str]:
        """AlarmActions: the ARNs of the scaling policies its actions name."""
        policies = self.status.alarm.actions.scaling_policies
        return [self.group.policy_arn(name) for name in policies] if self.group is not None else []


def monitors(call: Call) -> Iterator[tuple[str, AlarmMonitor]]:
    """Each running environment with an alarm monitor, in start order."""
    for environment in call.environments.names():
        monitor = getattr(call.environments.get(environment), "alarms", None)
        if isinstance(monitor, AlarmMonitor):
            yield environment, monitor


def targets(call: Call) -> Iterator[Target]:
    """Every alarm target of every running environment (two environments sharing a name: the
    first started wins)."""
    groups = {(g.environment, g.service): g for g in call.groups()}
    seen: set[str] = set()
    for environment, monitor in monitors(call):
        for status in monitor.describe():
            group = groups.get((environment, status.service))
            if group is None and status.service:
                continue
            name = status.name if status.alarm.service or group is None else f"{group.name}-{status.name}"
            if name not in seen:
                seen.add(name)
                yield Target(name, environment, group, monitor, status)
