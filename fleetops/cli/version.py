"""``fleetops version``."""

from __future__ import annotations

from fleetops import __version__
from fleetops.cli.app import app
from fleetops.cli.output import OutputFormat, OutputOption, emit


@app.command()
def version(output: OutputOption = OutputFormat.TABLE) -> None:
    """Print the fleetops version."""
    emit({"version": __version__}, output, lambda console: console.print(__version__, highlight=False))
