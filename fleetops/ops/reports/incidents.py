"""A report's incidents (``fleetops incident``): those opened in the window, by severity, how
many were resolved and their mean time to resolve (opened to resolved).

Kept apart from the deployments' MTTR, which runs from a failed deployment to the next good
state: an incident can have another cause than a deployment, and a failed deployment that rolled
itself back needs no incident.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from statistics import mean
from typing import Any

from fleetops.ops.reports.inputs import IncidentSeen

SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")


def incident_figures(incidents: Sequence[IncidentSeen], *, start: datetime, end: datetime) -> dict[str, Any]:
    """The incidents opened in ``start``..``end`` as JSON-ready figures."""
    opened = [i for i in incidents if start <= i.opened < end]
    took = [(i.resolved - i.opened).total_seconds() for i in opened if i.resolved is not None]
    return {
        "opened": len(opened),
        "by_severity": {s: sum(1 for i in opened if i.severity == s) for s in SEVERITIES},
        "resolved": len(took),
        "open": len(opened) - len(took),
        "mean_time_to_resolve_seconds": mean(took) if took else None,
    }
