"""CloudWatch-style metric alarms on the fleet's metrics (local: HAProxy's access log).

    monitor = AlarmMonitor(fleet, "dev", services, metrics=local_metrics(provider, services))
    monitor.start()
    monitor.states("orders", ["high-5xx"])        # {"high-5xx": "OK"}
    monitor.describe(state="ALARM")               # [AlarmStatus(...)]

``evaluation`` is the pure CloudWatch evaluation (M of N, missing data, premature alarms);
``elb_metrics`` maps a request to ALB metrics; ``log_follower`` reads a log incrementally;
``metric_store`` keeps the window of samples the alarms need; ``monitor`` keeps the states;
``actions`` sends ``alarm.alarm`` / ``alarm.ok`` notifications on state changes.
"""

from fleetops.ops.alarms.actions import AlarmActions
from fleetops.ops.alarms.datapoint import Datapoint
from fleetops.ops.alarms.evaluation import AlarmState, Evaluation, evaluate, evaluation_range
from fleetops.ops.alarms.local_metrics import LocalMetrics, local_metrics
from fleetops.ops.alarms.metric_store import MetricStore
from fleetops.ops.alarms.monitor import AlarmMonitor, AlarmStatus, MetricsSource

__all__ = [
    "AlarmActions",
    "AlarmMonitor",
    "AlarmState",
    "AlarmStatus",
    "Datapoint",
    "Evaluation",
    "LocalMetrics",
    "MetricStore",
    "MetricsSource",
    "evaluate",
    "evaluation_range",
    "local_metrics",
]
