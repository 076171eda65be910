"""CloudWatch Logs over the local fleet: one log group per service and environment
(``/aws/ec2/<group>``, ``spec.aws_names``), one log stream per instance (its id), one event per
JSON line the instance wrote.

``FilterLogEvents`` takes the filter patterns ``fleetops logs --filter`` takes (``ERROR``,
``{ $.status >= 500 }``...), a time window and pagination, so ``aws logs tail GROUP --follow``
works; ``StartQuery``/``GetQueryResults`` run a Logs Insights query (``ops.logquery``) at once
and keep its result in memory for an hour.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fleetops.control.log_queries import LogQueries
from fleetops.ops.alarms.elb_metrics import timestamp_ms
from fleetops.providers.local.provider import LocalProvider
from fleetops.server.aws import pages
from fleetops.server.aws.errors import AwsError
from fleetops.server.aws.operations import Call, Output, Params, operation
from fleetops.server.aws.resources import ACCOUNT, Group

LOGS = "logs"
MAX_EVENTS = 10_000
"""FilterLogEvents' largest page (AWS: 10,000 events or 1 MB)."""
SCANNED = 10_000
"""How many of a service's newest records a FilterLogEvents call looks at."""
QUERY_TTL_S = 3600.0


def _not_found(name: str) -> AwsError:
    return AwsError("ResourceNotFoundException", f"The specified log group does not exist: {name}")


def _group(call: Call, params: Params) -> Group:
    name = params.get("logGroupName") or params.get("logGroupIdentifier")
    if not name:
        raise AwsError("InvalidParameterException", "logGroupName or logGroupIdentifier is required")
    name = name.split(":log-group:", 1)[-1].removesuffix(":*")
    return call.resource(name, by="log_group", not_found=_not_found(name))


def _arn(group: Group) -> str:
    return f"arn:aws:logs:{group.region}:{ACCOUNT}:log-group:{group.log_group}"


def _files(group: Group) -> list[Path]:
    provider = getattr(group.runtime, "provider", None)
    return provider.log_files(group.service) if isinstance(provider, LocalProvider) else []


@operation(LOGS, "DescribeLogGroups")
def describe_log_groups(call: Call, params: Params) -> Output:
    """The log groups (``logGroupNamePrefix``, ``logGroupNamePattern``), by name."""
    prefix, pattern = params.get("logGroupNamePrefix"), params.get("logGroupNamePattern")
    if prefix and pattern:
        raise AwsError(
            "InvalidParameterException", "logGroupNamePrefix and logGroupNamePattern cannot both be given"
        )
    chosen = sorted(
        (
            g
            for g in call.groups()
            if (prefix is None or g.log_group.startswith(prefix))
            and (pattern is None or pattern.lower() in g.log_group.lower())
        ),
        key=lambda g: g.log_group,
    )
    page, token = pages.page(chosen, params, default=50, limit=50, size_key="limit", token_key="nextToken",
                             invalid="InvalidParameterException")  # fmt: skip
    out = []
    for group in page:
        files = _files(group)
        out.append(
            {
                "logGroupName": group.log_group,
                "creationTime": min((int(f.stat().st_ctime * 1000) for f in files), default=0),
                "metricFilterCount": 0,
                "arn": _arn(group) + ":*",
                "logGroupArn": _arn(group),
                "storedBytes": sum(f.stat().st_size for f in files),
                "logGroupClass": "STANDARD",
            }
        )
    return {"logGroups": out, "nextToken": token}


@operation(LOGS, "FilterLogEvents")
def filter_log_events(call: Call, params: Params) -> Output:
    """The group's events matching ``filterPattern`` in ``[startTime, endTime]``, oldest first."""
    group = _group(call, params)
    streams = params.get("logStreamNames") or []
    stream_prefix = params.get("logStreamNamePrefix")
    if streams and stream_prefix:
        raise AwsError(
            "InvalidParameterException", "logStreamNames and logStreamNamePrefix cannot both be given"
        )
    start, end = params.get("startTime"), params.get("endTime")
    records = group.runtime.logs(group.service, limit=SCANNED, pattern=params.get("filterPattern"))
    events: list[dict[str, Any]] = []
    for record in records:
        stream = str(record.get("instance", ""))
        if (streams and stream not in streams) or (stream_prefix and not stream.startswith(stream_prefix)):
            continue
        try:
            at = timestamp_ms(str(record.get("timestamp", "")))
        except ValueError:
            continue
        if (start is not None and at < start) or (end is not None and at > end):
            continue
        message = json.dumps(record, separators=(",", ":"))
        digest = hashlib.sha256(f"{stream}/{message}".encode()).hexdigest()[:16]
        events.append(
            {
                "logStreamName": stream,
                "timestamp": at,
                "message": message,
                "ingestionTime": at,
                "eventId": f"{at}{digest}",
            }
        )
    page, token = pages.page(events, params, default=MAX_EVENTS, limit=MAX_EVENTS, size_key="limit",
                             token_key="nextToken", invalid="InvalidParameterException")  # fmt: skip
    searched = sorted({str(event["logStreamName"]) for event in events})
    return {
        "events": page,
        "searchedLogStreams": [{"logStreamName": s, "searchedCompletely": True} for s in searched],
        "nextToken": token,
    }


class _Queries:
    """Finished queries by id, for GetQueryResults (kept an hour)."""

    def __init__(self) -> None:
        self._results: dict[str, tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def put(self, answer: dict[str, Any]) -> str:
        query_id = str(uuid.uuid4())
        now = time.monotonic()
        with self._lock:
            self._results = {k: v for k, v in self._results.items() if now - v[0] < QUERY_TTL_S}
            self._results[query_id] = (now, answer)
        return query_id

    def get(self, query_id: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._results.get(query_id)
        return None if found is None else found[1]


def _queries(state: Any) -> _Queries:
    found = getattr(state, "aws_log_queries", None)
    if not isinstance(found, _Queries):
        found = _Queries()
        state.aws_log_queries = found
    return found


@operation(LOGS, "StartQuery")
def start_query(call: Call, params: Params) -> Output:
    """Run a Logs Insights query over the groups named, between ``startTime`` and ``endTime``
    (epoch seconds); GetQueryResults answers it."""
    names = [*(params.get("logGroupNames") or []), *(params.get("logGroupIdentifiers") or [])]
    if params.get("logGroupName"):
        names.append(params["logGroupName"])
    if not names:
        raise AwsError(
            "InvalidParameterException", "name the log groups to query (logGroupName or logGroupNames)"
        )
    groups = [_group(call, {"logGroupName": name}) for name in names]
    runtime = groups[0].runtime
    if any(group.environment != groups[0].environment for group in groups):
        raise AwsError(
            "InvalidParameterException", "a query reads the log groups of one environment at a time"
        )
    if not isinstance(runtime, LogQueries):
        raise AwsError(
            "InvalidParameterException", f"environment {groups[0].environment!r} cannot run log queries"
        )
    result = runtime.query_logs(
        params["queryString"],
        services=[group.service for group in groups],
        platform=False,
        start=_seconds(params["startTime"]),
        end=_seconds(params["endTime"]),
    )
    answer: dict[str, Any] = result.to_json()
    rows: list[Any] = answer["results"]
    limit = params.get("limit")
    return {"queryId": _queries(call.state).put({**answer, "results": rows[:limit] if limit else rows})}


def _seconds(value: int) -> datetime:
    return datetime.fromtimestamp(value, UTC)


@operation(LOGS, "GetQueryResults")
def get_query_results(call: Call, params: Params) -> Output:
    """The result of a query StartQuery ran."""
    answer = _queries(call.state).get(params["queryId"])
    if answer is None:
        raise AwsError(
            "ResourceNotFoundException", f"Query {params['queryId']} does not exist (or has expired)"
        )
    return {
        "queryLanguage": "CWLI",
        "results": answer["results"],
        "statistics": answer["statistics"],
        "status": answer["status"],
    }
