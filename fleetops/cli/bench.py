"""``fleetops bench concurrent --concurrent N``: N simultaneous deployments to N environments.

The logic is in :mod:`fleetops.bench.concurrent`; this prints its progress on stderr and its
report: per-deployment status and duration, p50/p95/max, success rate and wall times. Exit 1
when a deployment did not succeed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from fleetops.cli.app import app
from fleetops.cli.output import OutputFormat, OutputOption, emit, err_console, plain
from fleetops.cli.signals import unwinding_on_sigterm
from fleetops.errors import OperationFailed

bench_app = typer.Typer(name="bench", help="Benchmarks of fleetops on this machine.", no_args_is_help=True)
app.add_typer(bench_app)


def _say(line: str) -> None:
    err_console.print(line, highlight=False, markup=False)


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
    with unwinding_on_sigterm():
        report = run_concurrent(settings, say=_say)
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


@bench_app.command("orchestrator")
def orchestrator(
    *,
    deployments: Annotated[
        int, typer.Option("--deployments", "-n", help="Deployments at once, each to its own environment.")
    ] = 10,
    control_planes: Annotated[
        int, typer.Option("--control-planes", help="1, or 2 sharing one PostgreSQL store.")
    ] = 1,
    store: Annotated[
        str, typer.Option("--store", help="sqlite or postgresql (a private server).")
    ] = "sqlite",
    version: Annotated[str, typer.Option("--version", help="The version deployed (from v1).")] = "v2",
    services: Annotated[
        str | None,
        typer.Option("--services", "-s", help="Comma-separated services (with dependencies); default: all."),
    ] = None,
    fleet: Annotated[
        Path | None,
        typer.Option("--fleet", "-f", help="A fleet.yaml whose settings it deploys (default: the example)."),
    ] = None,
    start_parallelism: Annotated[
        int, typer.Option("--start-parallelism", min=1, help="Start requests in flight at once.")
    ] = 8,
    poll: Annotated[
        float, typer.Option("--poll", min=0.1, help="Seconds between reads of the running executions.")
    ] = 2.0,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """N deployments at once on ONE real control plane (or two on one PostgreSQL) whose fleet is a
    fake that does no work but keeps each rollout's timing: success rate, durations against
    what the settings imply, transitions/s, store writes/s, the server's memory."""
    from fleetops.bench.orchestrator import OrchestratorSettings, run_orchestrator

    settings = OrchestratorSettings(
        deployments=deployments,
        control_planes=control_planes,
        store=store,
        version=version,
        services=tuple(name.strip() for name in (services or "").split(",") if name.strip()),
        fleet=fleet,
        start_parallelism=start_parallelism,
        poll_s=poll,
    )
    with unwinding_on_sigterm():
        report = run_orchestrator(settings, say=_say)
    data = report.to_json()

    def render(console: Console) -> None:
        failed = [d for d in report.deployments if d.status != "SUCCEEDED"]
        if failed:
            table = Table(title=f"deployments that did not succeed ({len(failed)}; the first 20)")
            for column in ("environment", "status", "duration", "error"):
                table.add_column(column, no_wrap=column != "error")
            for d in failed[:20]:
                cells = (d.environment, d.status, _seconds(d.duration_s), (d.error or "")[:120])
                table.add_row(*map(plain, cells))
            console.print(table)
        for line in _orchestrator_lines(data):
            console.print(line, highlight=False, markup=False)

    emit(data, output, render)
    if report.success_rate < 1:
        raise OperationFailed(f"{len(report.deployments) - report.succeeded} deployment(s) did not succeed")


def _orchestrator_lines(data: dict[str, Any]) -> list[str]:
    def s(key: str) -> str:
        return _seconds(data[key])

    return [
        f"{data['deployments']} deployments at once on {data['control_planes']} control plane(s), "
        f"{data['store']} store; services {', '.join(data['services'])}; their settings imply "
        f"{data['implied_s']}s each",
        f"baseline (one alone): {data['baseline_status']} in {s('baseline_s')} "
        f"({data['baseline_ratio']}x implied)",
        f"succeeded {data['succeeded']}/{data['deployments']} ({data['success_rate']:.0%}); duration "
        f"p50 {s('duration_p50_s')} ({data['ratio_p50']}x), p95 {s('duration_p95_s')} "
        f"({data['ratio_p95']}x), max {s('duration_max_s')}",
        f"start requests p50 {s('start_request_p50_s')}, p95 {s('start_request_p95_s')}",
        f"{data['transitions_per_s']} state transitions/s, {data['events_per_s']} history events/s; "
        f"store: {data['write_transactions_per_s']} write transactions/s, "
        f"{data['rows_written_per_s']} rows/s",
        f"server RSS peak {data['rss_peak_mb']} MB; CPU "
        + ", ".join(f"{p['cpu_s']}s" for p in data["planes"])
        + f" in a {data['window_s']}s window; load average {data['load_average'][0]} at the start",
    ]
