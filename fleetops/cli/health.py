"""``fleetops health``: one verdict (healthy, degraded, failing) from every check, with evidence.

Exit 0 when healthy, 1 otherwise; ``--watch`` re-evaluates every ``--interval`` until Ctrl-C.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from fleetops.cli.app import app
from fleetops.cli.client import connect
from fleetops.cli.options import EnvSelectOption, FleetFileOption, state_dir_of
from fleetops.cli.output import OutputFormat, OutputOption, emit
from fleetops.errors import BadInput
from fleetops.ops.health import Checklist, CheckResult, HealthReport, Outcome, check_config
from fleetops.startup import collector_paused

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


def config_check(file: Path) -> list[CheckResult]:
    """``check_config`` of the fleet file at ``file`` (what the next deployment reads)."""
    # Imported on use, as the other commands do: the fleet models are slow to import.
    with collector_paused():
        from fleetops.spec.loader import load_fleet

    try:
        fleet = load_fleet(file)
    except BadInput as err:
        return check_config(str(file), err.problems, services=0, secrets=0)
    return check_config(str(file), [], services=len(fleet.services), secrets=len(fleet.secrets))


def with_config(report: dict[str, Any], file: Path) -> dict[str, Any]:
    """The server's report with the config check of the local fleet file first, and the verdict
    of them all."""
    served = [CheckResult(c["check"], Outcome(c["outcome"]), c["evidence"]) for c in report["checks"]]
    checks = (*config_check(file), *served)
    return HealthReport(report["environment"], report["checklist"], checks).to_json()


@app.command("health")
def health(
    *,
    checklist: Annotated[
        str,
        typer.Option(
            "--checklist",
            "-c",
            help="Which checks run: pre-deploy, post-deploy, daily, or one of the fleet file's "
            "checklists; default all.",
        ),
    ] = Checklist.ALL.value,
    version: Annotated[
        str | None,
        typer.Option(
            "--version",
            help="The version the next deployment would deploy: checks the image its release would "
            "use (aws) and its releases in the environment (pre-deploy's version check).",
        ),
    ] = None,
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
            report: dict[str, Any] = api.get(
                "/health/report", environment=env, checklist=checklist, version=version
            )
            if checklist == Checklist.PRE_DEPLOY.value:
                report = with_config(report, file)
            emit(report, output, _render(report))
            if not watch:
                break
            sys.stdout.flush()  # each report as it comes, also through a pipe
            time.sleep(interval)  # a CLI polling for a person, not a test waiting
    if report["verdict"] != "healthy":
        raise typer.Exit(1)
