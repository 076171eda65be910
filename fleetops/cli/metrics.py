"""``fleetops metrics list|get``: the fleet's recorded metrics, like ``aws cloudwatch
list-metrics`` and ``get-metric-statistics``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from fleetops.cli.app import app
from fleetops.cli.client import connect
from fleetops.cli.options import EnvSelectOption, FleetFileOption, state_dir_of
from fleetops.cli.output import OutputFormat, OutputOption, emit, plain

metrics_app = typer.Typer(help="The fleet's metrics: CPU, memory, group sizes (CloudWatch names).")
app.add_typer(metrics_app, name="metrics")


@metrics_app.command("list")
def list_metrics(
    env: EnvSelectOption = None,
    file: FleetFileOption = Path("fleet.yaml"),
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Every metric with data in the last 15 days, with its dimensions."""
    with connect(state_dir_of(file)) as api:
        found: dict[str, Any] = api.get("/metrics", environment=env)

    def render(console: Console) -> None:
        table = Table("namespace", "metric", "dimensions")
        for m in found["metrics"]:
            dimensions = ", ".join(f"{d['name']}={d['value']}" for d in m["dimensions"])
            table.add_row(plain(m["namespace"]), plain(m["metric"]), plain(dimensions))
        console.print(table)

    emit(found, output, render)


@metrics_app.command("get")
def get_metric(
    namespace: Annotated[str, typer.Argument(help="e.g. AWS/EC2, CWAgent, AWS/AutoScaling.")],
    metric: Annotated[str, typer.Argument(help="e.g. CPUUtilization, mem_used_percent.")],
    *,
    dimension: Annotated[
        list[str] | None,
        typer.Option("--dimension", "-d", help="Name=Value, e.g. AutoScalingGroupName=restaurant-orders."),
    ] = None,
    since: Annotated[str, typer.Option(help="From this long ago (1h, 30m) or this time (ISO 8601).")] = "1h",
    end: Annotated[
        str | None, typer.Option(help="Until this time (ISO 8601 with a zone); default now.")
    ] = None,
    period: Annotated[int, typer.Option(min=1, max=86_400, help="Seconds per datapoint.")] = 60,
    statistics: Annotated[
        str, typer.Option(help="Comma-separated: SampleCount, Sum, Average, Minimum, Maximum, pNN.")
    ] = "Average",
    env: EnvSelectOption = None,
    file: FleetFileOption = Path("fleet.yaml"),
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """A metric's statistics per period, oldest first (as get-metric-statistics answers)."""
    with connect(state_dir_of(file)) as api:
        found: dict[str, Any] = api.get(
            "/metrics/statistics",
            namespace=namespace,
            metric=metric,
            dimension=dimension,
            since=since,
            end=end,
            period=period,
            statistics=statistics,
            environment=env,
        )

    def render(console: Console) -> None:
        names = [s.strip() for s in statistics.split(",") if s.strip()]
        table = Table("time", *names, title=f"{namespace} {metric} ({found['unit']})")
        for point in found["datapoints"]:
            cells = [f"{point[name]:.2f}" if name in point else "" for name in names]
            table.add_row(plain(point["timestamp"]), *map(plain, cells))
        console.print(table)

    emit(found, output, render)


@metrics_app.command("math")
def metric_math(
    expression: Annotated[
        str | None, typer.Argument(help="Metric math over the metrics' ids, e.g. 'errors / calls * 100'.")
    ] = None,
    *,
    metric: Annotated[
        list[str] | None,
        typer.Option(
            "--metric",
            "-m",
            help="ID=NAMESPACE/METRIC[:STAT][,Name=Value...], "
            "e.g. errors=fleetops/Deployments/TaskHandlerErrors:Sum.",
        ),
    ] = None,
    alarm: Annotated[
        str | None, typer.Option(help="Instead of an expression: what this alarm watches.")
    ] = None,
    service: Annotated[str | None, typer.Option(help="The service, for an alarm or metric by group.")] = None,
    since: Annotated[str, typer.Option(help="From this long ago (1h, 30m) or this time (ISO 8601).")] = "1h",
    end: Annotated[
        str | None, typer.Option(help="Until this time (ISO 8601 with a zone); default now.")
    ] = None,
    period: Annotated[int, typer.Option(min=1, max=86_400, help="Seconds per datapoint.")] = 60,
    env: EnvSelectOption = None,
    file: FleetFileOption = Path("fleet.yaml"),
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """A metric math expression per period, oldest first (as get-metric-data answers it)."""
    with connect(state_dir_of(file)) as api:
        found: dict[str, Any] = api.get(
            "/metrics/math",
            expression=expression,
            metric=metric,
            alarm=alarm,
            service=service,
            since=since,
            end=end,
            period=period,
            environment=env,
        )

    def render(console: Console) -> None:
        table = Table(
            "time", "value", title=f"{found['label']}: {found['expression']} (period {found['period']}s)"
        )
        for point in found["datapoints"]:
            table.add_row(plain(point["timestamp"]), f"{point['value']:.2f}")
        console.print(table)

    emit(found, output, render)
