"""``fleetops logs query`` on an aws environment: CloudWatch Logs Insights (StartQuery, then
GetQueryResults until the query ends).

The query runs in CloudWatch over the services' log groups, as written; the answer is
GetQueryResults' own (``results`` rows of ``{field, value}`` without ``@ptr``, ``statistics``).
A query that does not end within ``timeout_s`` is stopped (StopQuery) and reported. Times are
whole seconds, as StartQuery takes them: the end is rounded up, so an event of this second counts.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from fleetops.errors import FleetopsError
from fleetops.providers.aws.session import AwsClients, aws_call

ENDED = frozenset({"Complete", "Failed", "Cancelled", "Timeout", "Unknown"})


def insights_query(
    clients: AwsClients,
    groups: Sequence[str],
    query: str,
    *,
    start: datetime,
    end: datetime,
    timeout_s: float = 60.0,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """The ended query's GetQueryResults (``FleetopsError`` when it did not complete)."""
    where = ", ".join(groups)
    started = aws_call(
        "logs:StartQuery", where, clients.logs.start_query,
        logGroupNames=list(groups), startTime=int(start.timestamp()), endTime=math.ceil(end.timestamp()),
        queryString=query,
    )  # fmt: skip
    query_id = str(started["queryId"])
    deadline = time.monotonic() + timeout_s
    while True:
        answer: dict[str, Any] = aws_call(
            "logs:GetQueryResults", where, clients.logs.get_query_results, queryId=query_id
        )
        status = str(answer.get("status", "Unknown"))
        if status in ENDED:
            break
        if time.monotonic() > deadline:
            aws_call("logs:StopQuery", where, clients.logs.stop_query, queryId=query_id)
            raise FleetopsError(f"log query {query_id} over {where} did not end within {timeout_s:g}s")
        sleep(0.5)
    if status != "Complete":
        raise FleetopsError(f"log query {query_id} over {where} ended {status}")
    return answer
