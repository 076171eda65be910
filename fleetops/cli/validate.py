"""``fleetops validate`` and ``fleetops schema``: check a fleet file, print its JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from fleetops.cli.app import app
from fleetops.cli.options import FileOption
from fleetops.cli.output import OutputFormat, OutputOption, emit, structured_problem
from fleetops.errors import BadInput, ExitCode
from fleetops.startup import collector_paused


@app.command()
def validate(file: FileOption = Path("fleet.yaml"), output: OutputOption = OutputFormat.TABLE) -> None:
    """Check a fleet file and report every problem at once, each with file:line:column.

    Exits 0 if the file is valid, 2 if it has problems.
    """
    with collector_paused():  # the fleet models: ~0.05 s of CPU less to import
        from fleetops.spec.loader import load_fleet

    try:
        fleet = load_fleet(file)
    except BadInput as err:
        if output.document:
            problems = [structured_problem(problem) for problem in err.problems]
            emit({"file": str(file), "valid": False, "problems": problems}, output, lambda _: None)
            raise typer.Exit(int(ExitCode.BAD_INPUT)) from err
        raise
    summary = {
        "environments": list(fleet.environments),
        "services": list(fleet.services),
        "secrets": list(fleet.secrets),
        "datastores": list(fleet.datastores),
        "alarms": list(fleet.alarms),
        "composite_alarms": list(fleet.composite_alarms),
        "notifications": list(fleet.notifications),
    }

    def table(console: Console) -> None:
        console.print(f"[green]{escape(str(file))}: valid[/]", highlight=False, soft_wrap=True)
        for section, names in summary.items():
            console.print(
                f"  {len(names)} {section}: {', '.join(names) or '-'}",
                highlight=False,
                soft_wrap=True,
                markup=False,
            )

    emit({"file": str(file), "valid": True, "problems": [], **summary}, output, table)


@app.command()
def schema(output: OutputOption = OutputFormat.JSON) -> None:
    """Print the JSON Schema of the fleet file (for editor completion and checks)."""
    from fleetops.spec.fleet import Fleet

    document = Fleet.model_json_schema(mode="validation")
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "fleetops fleet file"

    def table(console: Console) -> None:
        # A schema has no tabular form; people get the same JSON, indented.
        console.print_json(json.dumps(document))

    emit(document, output, table)
