"""``fleetops report``: an environment's delivery report over a week, a month or since a time,
as text (at most 100 columns), JSON, one self-contained HTML file with plots, or one PNG."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from fleetops.cli.app import app
from fleetops.cli.client import connect
from fleetops.cli.options import EnvSelectOption, FleetFileOption, state_dir_of
from fleetops.cli.output import console
from fleetops.ops.reports import render_text


class ReportFormat(StrEnum):
    """How the report is written."""

    TEXT = "text"
    JSON = "json"
    HTML = "html"
    PNG = "png"


class ReportPeriod(StrEnum):
    """The window, ending now."""

    WEEKLY = "weekly"
    MONTHLY = "monthly"


def rendered(report: dict[str, Any], fmt: ReportFormat) -> bytes:
    """The report in ``fmt``."""
    if fmt is ReportFormat.JSON:
        return (json.dumps(report, indent=2) + "\n").encode()
    if fmt is ReportFormat.TEXT:
        return render_text(report).encode()
    # Imported on use: matplotlib takes a while to import, and only these two draw.
    from fleetops.ops.reports.html import render_html
    from fleetops.ops.reports.plots import report_png

    return render_html(report).encode() if fmt is ReportFormat.HTML else report_png(report)


@app.command("report")
def report(
    *,
    period: Annotated[
        ReportPeriod | None, typer.Option("--period", help="weekly (default) or monthly, ending now.")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since", help="From this long ago (10d, 12h) or this time (ISO 8601); not with --period."
        ),
    ] = None,
    fmt: Annotated[
        ReportFormat, typer.Option("--format", help="text, json, html or png.")
    ] = ReportFormat.TEXT,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            help="Write it to this file (html and png default to report-ENV.html/.png; text and json print).",
        ),
    ] = None,
    env: EnvSelectOption = None,
    file: FleetFileOption = Path("fleet.yaml"),
) -> None:
    """Deployments, success rate, durations, rollbacks and causes, failures by service and step,
    MTTR, the four DORA keys with their bands, and availability against each service's SLO."""
    with connect(state_dir_of(file)) as api:
        found: dict[str, Any] = api.get(
            "/reports", environment=env, period=None if period is None else period.value, since=since
        )
    data = rendered(found, fmt)
    if output is None and fmt in (ReportFormat.HTML, ReportFormat.PNG):
        output = Path(f"report-{found['environment']}.{fmt.value}")
    if output is None:
        sys.stdout.buffer.write(data)
        return
    output.write_bytes(data)
    console.print(f"wrote {output} ({len(data)} bytes)", highlight=False)
