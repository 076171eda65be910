"""The rolling-replacement algorithm (EC2 Auto Scaling instance refresh semantics), pure.

It drives a `FleetPort` (launch, register, deregister, wait until drained, terminate, probe,
alarms, logs) on a `Clock`, and knows nothing of processes or AWS.
"""

from fleetops.rollout.clock import Clock, MillisecondClock
from fleetops.rollout.health import HealthTracker, ProbePolicy, ProbeRecord, ProbeResult, TargetState
from fleetops.rollout.options import RefreshOptions
from fleetops.rollout.plan import (
    BatchShape,
    CapacityWindow,
    PlannedBatch,
    RefreshPlan,
    capacity_window,
    full_batch,
    plan_refresh,
)
from fleetops.rollout.port import ALARM, INSUFFICIENT_DATA, OK, FleetPort, GroupInstance
from fleetops.rollout.preferences import RefreshPreferences
from fleetops.rollout.refresh import InstanceRefresh
from fleetops.rollout.report import FailureReport
from fleetops.rollout.status import RefreshEvent, RefreshStatus

__all__ = [
    "ALARM",
    "INSUFFICIENT_DATA",
    "OK",
    "BatchShape",
    "CapacityWindow",
    "Clock",
    "FailureReport",
    "FleetPort",
    "GroupInstance",
    "HealthTracker",
    "InstanceRefresh",
    "MillisecondClock",
    "PlannedBatch",
    "ProbePolicy",
    "ProbeRecord",
    "ProbeResult",
    "RefreshEvent",
    "RefreshOptions",
    "RefreshPlan",
    "RefreshPreferences",
    "RefreshStatus",
    "TargetState",
    "capacity_window",
    "full_batch",
    "plan_refresh",
]
