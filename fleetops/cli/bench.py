"""``fleetops bench concurrent --concurrent N``: N simultaneous deployments to N environments.

The logic is in :mod:`fleetops.bench.concurrent`; this prints its progress on stderr and its
report: per-deployment status and duration, p50/p95/max, success rate and wall times. Exit 1
when a deployment did not succeed.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from fleetops.cli.app import app
from fleetops.cli.output import OutputFormat, OutputOption, emit, err_console, plain
from fleetops.errors import OperationFailed

bench_app = typer.Typer(name="bench", help="Benchmarks of fleetops on this machine.", no_args_is_help=True)
app.add_typer(bench_app)


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}s"


@bench_app.command("concurrent")
def concurrent(
    concurrent: Annotated[
        int, typer.Option("--concurrent", "-n", help="Environments, each deployed once, all at once.")
    ] = 3,
    version: Annotated[str, typer.Option("--version", help="The version deployed (from v1).")] = "v2",
    instances: Annotated[
        int,
        typer.Option("--instances", help="Instances of each service per environment; 0: as the file says."),
    ] = 1,
    services: Annotated[
        str | None,
        typer.Option("--services", "-s", help="Comma-separated services (with dependencies); default: all."),
    ] = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Deploy to N environments of the example fleet at once (each its own control plane,
    HAProxy and processes); print durations, p50/p95/max and the success rate."""
    from fleetops.bench.concurrent import ConcurrentSettings, run_concurrent

    settings = ConcurrentSettings(
        concurrent=concurrent,
        version=version,
        instances=instances or None,
        services=tuple(name.strip() for name in (services or "").split(",") if name.strip()),
    )
    report = run_concurrent(settings, say=lambda line: err_console.print(line, highlight=False, markup=False))
    data = report.to_json()

    def render(console: Console) -> None:
        table = Table(title="deployments")
        for column in ("environment", "status", "duration"):
            table.add_column(column, no_wrap=True)
        table.add_column("error", overflow="ellipsis", no_wrap=True, ratio=1)
        table.add_column("execution", no_wrap=True)
        for result in report.results:
            cells = (
                result.environment,
                result.status,
                _seconds(result.duration_s),
                (result.error or "")[:80],
                result.execution or "-",
            )
            table.add_row(*map(plain, cells))
        console.print(table)
        per_service = "as in the fleet file" if settings.instances is None else str(settings.instances)
        console.print(
            f"{report.settings.concurrent} concurrent deployments of {settings.version}; each "
            f"environment: {len(report.services)} services ({', '.join(report.services)}), "
            f"{per_service} instance(s) each; "
            f"{report.processes} fleet processes in all",
            highlight=False,
            markup=False,
        )
        console.print(
            f"succeeded {data['succeeded']}/{len(report.results)} ({report.success_rate:.0%}); duration "
            f"p50 {_seconds(data['duration_p50_s'])}, p95 {_seconds(data['duration_p95_s'])}, "
            f"max {_seconds(data['duration_max_s'])}; wall {report.wall_s:.1f}s "
            f"(setup {report.setup_s:.1f}s, teardown {report.teardown_s:.1f}s)",
            highlight=False,
        )

    emit(data, output, render)
    if report.success_rate < 1:
        raise OperationFailed(f"{len(report.results) - data['succeeded']} deployment(s) did not succeed")
