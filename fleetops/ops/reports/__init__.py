"""Delivery reports (``fleetops report``): deployment figures, rollbacks, failures, MTTR, the four
DORA keys with their bands, availability and error budgets; as JSON, text, HTML and PNG."""

from fleetops.ops.reports.dora import Band
from fleetops.ops.reports.figures import Availability, Report, Restore, Rollback, build_report, p95
from fleetops.ops.reports.inputs import (
    DeploymentSeen,
    IncidentSeen,
    ReleaseSeen,
    RollbackSeen,
    ServiceTraffic,
)
from fleetops.ops.reports.text import render_text

__all__ = [
    "Availability",
    "Band",
    "DeploymentSeen",
    "IncidentSeen",
    "ReleaseSeen",
    "Report",
    "Restore",
    "Rollback",
    "RollbackSeen",
    "ServiceTraffic",
    "build_report",
    "p95",
    "render_text",
]
