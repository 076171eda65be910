"""The metrics fleetops records, with CloudWatch's names, units and dimensions.

Per instance and per Auto Scaling group (a service of an environment), each sample is written
twice: with the dimension ``InstanceId`` and with ``AutoScalingGroupName``, as EC2 and the
CloudWatch agent publish them, so a query by group aggregates over its instances.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from fleetops.errors import BadInput


@dataclass(frozen=True)
class MetricName:
    namespace: str
    metric: str
    unit: str
    description: str


CPU_UTILIZATION = MetricName(
    "AWS/EC2", "CPUUtilization", "Percent", "CPU used by the instance's process, in percent of one core"
)
MEMORY_USED = MetricName(
    "CWAgent",
    "mem_used_percent",
    "Percent",
    "resident memory of the instance's process, in percent of the host's",
)
MEMORY_RSS = MetricName(
    "fleetops/Instances", "MemoryRSS", "Bytes", "resident memory of the instance's process"
)
OPEN_SOCKETS = MetricName(
    "fleetops/Instances",
    "OpenSockets",
    "Count",
    "sockets the instance's process holds open (its listener and its connections)",
)
RESTARTS = MetricName(
    "fleetops/Instances",
    "Restarts",
    "Count",
    "instances launched to replace one that exited or failed health (by group only)",
)
IN_SERVICE = MetricName(
    "AWS/AutoScaling", "GroupInServiceInstances", "Count", "instances in service (by group only)"
)
DESIRED = MetricName("AWS/AutoScaling", "GroupDesiredCapacity", "Count", "desired capacity (by group only)")

DEPLOYMENTS = "fleetops/Deployments"
"""The orchestrator's own metrics (``control.orchestrator_metrics``), without dimensions."""
DEPLOYMENTS_STARTED = MetricName(DEPLOYMENTS, "DeploymentsStarted", "Count", "deployments started")
DEPLOYMENTS_SUCCEEDED = MetricName(DEPLOYMENTS, "DeploymentsSucceeded", "Count", "deployments succeeded")
DEPLOYMENTS_FAILED = MetricName(
    DEPLOYMENTS, "DeploymentsFailed", "Count", "deployments failed, timed out or stopped"
)
DEPLOYMENT_SUCCESS_RATE = MetricName(
    DEPLOYMENTS,
    "DeploymentSuccessRate",
    "Percent",
    "one sample per finished deployment, 100 if it succeeded else 0: Average is the success rate",
)
DEPLOYMENT_DURATION = MetricName(
    DEPLOYMENTS, "DeploymentDuration", "Seconds", "start to end of each finished deployment"
)
ROLLBACKS = MetricName(
    DEPLOYMENTS, "Rollbacks", "Count", "rollbacks started: by a failed deployment or the rollback runbook"
)
CONCURRENT_DEPLOYMENTS = MetricName(
    DEPLOYMENTS, "ConcurrentDeployments", "Count", "deployments running (any server on the store)"
)
EXECUTIONS_STARTED = MetricName(
    DEPLOYMENTS, "ExecutionsStarted", "Count", "executions of any state machine started"
)
EXECUTIONS_RUNNING = MetricName(
    DEPLOYMENTS, "ExecutionsRunning", "Count", "executions of any state machine running"
)
TASK_HANDLER_ERRORS = MetricName(
    DEPLOYMENTS, "TaskHandlerErrors", "Count", "Task states that failed or timed out (any execution)"
)
TASK_HANDLER_INVOCATIONS = MetricName(
    DEPLOYMENTS,
    "TaskHandlerInvocations",
    "Count",
    "Task states scheduled: task handler calls (any execution)",
)
ORCHESTRATOR = (
    DEPLOYMENTS_STARTED,
    DEPLOYMENTS_SUCCEEDED,
    DEPLOYMENTS_FAILED,
    DEPLOYMENT_SUCCESS_RATE,
    DEPLOYMENT_DURATION,
    ROLLBACKS,
    CONCURRENT_DEPLOYMENTS,
    EXECUTIONS_STARTED,
    EXECUTIONS_RUNNING,
    TASK_HANDLER_ERRORS,
    TASK_HANDLER_INVOCATIONS,
)

DATASTORE_CONNECTIONS = MetricName(
    "fleetops/Datastores", "Connections", "Count", "open connections of a datastore (by DatastoreName)"
)
DATASTORE_SIZE = MetricName(
    "fleetops/Datastores", "SizeBytes", "Bytes", "size of a datastore's data (by DatastoreName)"
)
KNOWN = (
    CPU_UTILIZATION,
    MEMORY_USED,
    MEMORY_RSS,
    OPEN_SOCKETS,
    RESTARTS,
    IN_SERVICE,
    DESIRED,
    *ORCHESTRATOR,
    DATASTORE_CONNECTIONS,
    DATASTORE_SIZE,
)
MAX_DIMENSIONS = 30
"""CloudWatch's limit of dimensions per metric."""


def dimension_key(dimensions: Mapping[str, str]) -> str:
    """The canonical key of ``dimensions``: ``Name=Value`` pairs sorted by name, comma-joined."""
    for name, value in dimensions.items():
        if not name or "=" in name or "," in name or "," in value:
            raise BadInput(f"dimension {name}={value}: names and values may not hold ',' (names not '=')")
    return ",".join(f"{name}={dimensions[name]}" for name in sorted(dimensions))


def parse_dimensions(texts: Sequence[str]) -> dict[str, str]:
    """``["AutoScalingGroupName=x"]`` -> ``{"AutoScalingGroupName": "x"}``; BadInput saying what is wrong."""
    if len(texts) > MAX_DIMENSIONS:
        raise BadInput(f"dimensions: {len(texts)} given; the most is {MAX_DIMENSIONS}")
    out: dict[str, str] = {}
    for text in texts:
        name, sep, value = text.partition("=")
        if not sep or not name or not value:
            raise BadInput(
                f"dimension {text!r}: expected Name=Value, e.g. AutoScalingGroupName=restaurant-orders"
            )
        if name in out:
            raise BadInput(f"dimension {name!r} is given twice")
        out[name] = value
    return out
