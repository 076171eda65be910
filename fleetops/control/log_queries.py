"""Logs Insights queries over an environment's logs (``fleetops logs query``).

On the local provider every instance's log file is a log stream (named after the instance) of
its service's log group (``/aws/ec2/<auto scaling group>``, as ``spec.aws_names`` derives it),
so a query written for CloudWatch reads the same ``@log`` and ``@logStream``. The load
balancer's access log (one record per request) and the supervisor's lifecycle events are the
groups ``/fleetops/<environment>/load-balancer`` and ``/fleetops/<environment>/supervisor``,
read when asked for (``platform``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from fleetops.errors import BadInput
from fleetops.ops.logquery import LogSource, QueryResult, run_query
from fleetops.providers.local.provider import LocalProvider
from fleetops.spec.aws_names import log_group_name
from fleetops.spec.fleet import Fleet


@runtime_checkable
class LogQueries(Protocol):
    """A fleet runtime that can run log queries (``FleetRuntime``)."""

    def query_logs(
        self,
        query: str,
        *,
        services: Sequence[str] | None,
        platform: bool,
        start: datetime | None,
        end: datetime | None,
    ) -> QueryResult:
        """Run ``query`` over the logs of ``services`` (None: every service)."""
        ...


def log_sources(
    fleet: Fleet,
    environment: str,
    provider: object,
    services: Sequence[str],
    *,
    platform: bool,
) -> list[LogSource]:
    """The log streams of ``services`` (and of the load balancer and supervisor if ``platform``)."""
    if not isinstance(provider, LocalProvider):
        raise BadInput(
            f"environment {environment!r}: log queries read the local provider's log files; "
            "on aws run them in CloudWatch Logs Insights"
        )
    sources = [
        LogSource(log_group_name(fleet, environment, service), path.stem, path)
        for service in services
        for path in provider.log_files(service)
    ]
    if platform:
        sources.append(LogSource(f"/fleetops/{environment}/load-balancer", "access", provider.access_log))
        sources.append(LogSource(f"/fleetops/{environment}/supervisor", "events", provider.events_log))
    return sources


def query_logs(
    fleet: Fleet,
    environment: str,
    provider: object,
    query: str,
    *,
    services: Sequence[str],
    platform: bool,
    start: datetime | None,
    end: datetime | None,
) -> QueryResult:
    """Run ``query`` over the logs of ``services`` between ``start`` and ``end``."""
    sources = log_sources(fleet, environment, provider, services, platform=platform)
    return run_query(query, sources, start=start, end=end)
