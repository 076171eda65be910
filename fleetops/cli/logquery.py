"""``fleetops logs query 'QUERY'``: a Logs Insights query over the running fleet's logs.

``logs`` dispatches here when its first argument is ``query`` (``fleetops logs query
'stats count() by level' --since 1h``), as ``aws logs start-query`` does for CloudWatch.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from fleetops.cli.client import ApiClient
from fleetops.cli.output import OutputFormat, emit, plain


def run_log_query(
    api: ApiClient,
    query: str,
    *,
    services: str | None,
    platform: bool,
    since: str | None,
    start: str | None,
    end: str | None,
    environment: str | None,
    output: OutputFormat,
) -> None:
    """Ask the server to run ``query`` and print its rows (a table, or GetQueryResults' JSON)."""
    result: dict[str, Any] = api.get(
        "/fleet/logs/query",
        query=query,
        services=services,
        platform=platform or None,
        since=since,
        start=start,
        end=end,
        environment=environment,
    )

    def render(out: Console) -> None:
        columns: list[str] = result["columns"]
        table = Table(*columns)
        for row in result["results"]:
            values = {cell["field"]: cell["value"] for cell in row}
            table.add_row(*(plain(values.get(column, "")) for column in columns))
        out.print(table)
        statistics = result["statistics"]
        out.print(
            f"{len(result['results'])} rows; {statistics['recordsMatched']:.0f} of "
            f"{statistics['recordsScanned']:.0f} records matched",
            style="dim",
            markup=False,
        )

    emit(result, output, render)
