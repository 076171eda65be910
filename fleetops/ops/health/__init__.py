"""One health verdict with its evidence (``fleetops health``): checks, checklists, verdict."""

from fleetops.ops.health.checklists import CHECKS, SELECTIONS, Checklist, selection
from fleetops.ops.health.checks import (
    check_alarms,
    check_config,
    check_executions,
    check_lock,
    check_maintenance,
    check_services,
    check_traffic,
)
from fleetops.ops.health.inputs import (
    AlarmInAlarm,
    ExecutionSeen,
    HeldLock,
    OpenWindow,
    ServiceCounts,
    TrafficWindow,
)
from fleetops.ops.health.verdict import CheckResult, HealthReport, Outcome, Verdict, verdict_of

__all__ = [
    "CHECKS",
    "SELECTIONS",
    "AlarmInAlarm",
    "CheckResult",
    "Checklist",
    "ExecutionSeen",
    "HealthReport",
    "HeldLock",
    "OpenWindow",
    "Outcome",
    "ServiceCounts",
    "TrafficWindow",
    "Verdict",
    "check_alarms",
    "check_config",
    "check_executions",
    "check_lock",
    "check_maintenance",
    "check_services",
    "check_traffic",
    "selection",
    "verdict_of",
]
