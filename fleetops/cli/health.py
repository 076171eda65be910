"""``fleetops health``: one verdict (healthy, degraded, failing) from every check, with evidence.

Exit 0 when healthy, 1 otherwise; ``--watch`` re-evaluates every ``--interval`` until Ctrl-C.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from fleetops.cli.app import app
from fleetops.cli.client import connect
from fleetops.cli.options import EnvSelectOption, FleetFileOption, state_dir_of
from fleetops.cli.output import OutputFormat, OutputOption, emit
from fleetops.ops.health import Checklist

_VERDICT_STYLE = {"healthy": "green", "degraded": "yellow", "failing": "red"}
_OUTCOME_STYLE = {"ok": "green", "warn": "yellow", "fail": "red"}


def _render(report: dict[str, Any]) -> Any:
    def render(console: Console) -> None:
        verdict = report["verdict"]
        console.print(
            f"{report['environment']}: [{_VERDICT_STYLE[verdict]}]{verdict}[/] ({report['checklist']})",
            highlight=False,
        )
        width = max((len(c["check"]) for c in report["checks"]), default=0)
        for check in report["checks"]:
            style = _OUTCOME_STYLE[check["outcome"]]
            console.print(
                f"  [{style}]{check['outcome']:<4}[/]  {check['check']:<{width}}  ",
                end="",
                highlight=False,
            )
            console.print(check["evidence"], highlight=False, markup=False)

    return render


@app.command("health")
def health(
    *,
    checklist: Annotated[
        Checklist,
        typer.Option(
            "--checklist", "-c", help="Which checks run: pre-deploy, post-deploy, daily; default all."
        ),
    ] = Checklist.ALL,
    watch: Annotated[
        bool, typer.Option("--watch", help="Re-evaluate every --interval until Ctrl-C.")
    ] = False,
    interval: Annotated[
        float, typer.Option("--interval", min=1.0, help="Seconds between evaluations.")
    ] = 10.0,
    env: EnvSelectOption = None,
    file: FleetFileOption = Path("fleet.yaml"),
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """One verdict of an environment from every check, each with its evidence; exit 0 if healthy."""
    with connect(state_dir_of(file)) as api:
        while True:
            report: dict[str, Any] = api.get("/health/report", environment=env, checklist=checklist.value)
            emit(report, output, _render(report))
            if not watch:
                break
            time.sleep(interval)  # a CLI polling for a person, not a test waiting
    if report["verdict"] != "healthy":
        raise typer.Exit(1)
