"""``fleetops logs`` on an aws environment: CloudWatch Logs FilterLogEvents.

A service's instances write to one log group (``aws.log_group``), one stream per instance (the
CloudWatch agent's ``{instance_id}`` stream name), so ``--instance`` selects streams by prefix.
The filter pattern is handed to CloudWatch as is: fleetops' local filter patterns are CloudWatch
Logs filter patterns. A message that is a JSON object becomes the record; any other message is
``{"msg": message}``. The last ``limit`` events of the window (default the last day) are
returned, oldest first.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from fleetops.providers.aws.session import AwsClients, AwsError, aws_call

WINDOW = timedelta(days=1)
MAX_EVENTS = 10_000


def read_logs(
    clients: AwsClients,
    group: str,
    *,
    instance_id: str | None,
    limit: int,
    pattern: str | None,
    start: datetime | None,
    end: datetime,
) -> list[dict[str, Any]]:
    """The last ``limit`` records of ``group`` (one instance's streams) matching ``pattern``,
    written from ``start`` (default: a day before ``end``) to ``end``."""
    params: dict[str, Any] = {
        "logGroupName": group,
        "startTime": int((start or end - WINDOW).timestamp() * 1000),
        "endTime": int(end.timestamp() * 1000) + 1,
    }
    if instance_id:
        params["logStreamNamePrefix"] = instance_id
    if pattern and pattern.strip():
        params["filterPattern"] = pattern
    events: list[dict[str, Any]] = []
    paginator = clients.logs.get_paginator("filter_log_events")
    try:
        pages = aws_call("logs:FilterLogEvents", group, lambda: list(paginator.paginate(**params)))
    except AwsError as err:
        if err.code == "ResourceNotFoundException":
            return []
        raise
    for page in pages:
        events.extend(page.get("events", []))
        if len(events) >= MAX_EVENTS:
            break
    events.sort(key=lambda e: (e.get("timestamp", 0), e.get("eventId", "")))
    return [record_of(event) for event in events[-limit:]]


def record_of(event: dict[str, Any]) -> dict[str, Any]:
    """One log event as a record: its JSON object, else ``{"msg": ...}``, with where and when."""
    message = str(event.get("message", ""))
    try:
        parsed = json.loads(message)
    except ValueError:
        parsed = None
    record: dict[str, Any] = parsed if isinstance(parsed, dict) else {"msg": message}
    record.setdefault(
        "timestamp", datetime.fromtimestamp(event.get("timestamp", 0) / 1000).astimezone().isoformat()
    )
    record.setdefault("instance", event.get("logStreamName", ""))
    return record
