"""One health verdict with its evidence (``fleetops health``): checks, checklists, verdict."""

from fleetops.ops.health.checklists import CHECKS, SELECTIONS, Checklist, selection
from fleetops.ops.health.checks import (
    check_alarms,
    check_backups,
    check_config,
    check_datastores,
    check_executions,
    check_lock,
    check_maintenance,
    check_secrets,
    check_services,
    check_traffic,
)
from fleetops.ops.health.inputs import (
    AlarmInAlarm,
    BackupsSeen,
    DatastoreSeen,
    ExecutionSeen,
    HeldLock,
    OpenWindow,
    SecretDue,
    ServiceCounts,
    TrafficWindow,
)
from fleetops.ops.health.verdict import CheckResult, HealthReport, Outcome, Verdict, verdict_of

__all__ = [
    "CHECKS",
    "SELECTIONS",
    "AlarmInAlarm",
    "BackupsSeen",
    "CheckResult",
    "Checklist",
    "DatastoreSeen",
    "ExecutionSeen",
    "HealthReport",
    "HeldLock",
    "OpenWindow",
    "Outcome",
    "SecretDue",
    "ServiceCounts",
    "TrafficWindow",
    "Verdict",
    "check_alarms",
    "check_backups",
    "check_config",
    "check_datastores",
    "check_executions",
    "check_lock",
    "check_maintenance",
    "check_secrets",
    "check_services",
    "check_traffic",
    "selection",
    "verdict_of",
]
