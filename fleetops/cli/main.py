"""The ``fleetops`` entry point: builds the typer app and maps errors to exit codes."""

from __future__ import annotations

import sys

from rich.text import Text

from fleetops import __version__
from fleetops.cli.app import app
from fleetops.cli.output import OutputFormat, OutputOption, emit, err_console
from fleetops.errors import BadInput, FleetopsError


@app.command()
def version(output: OutputOption = OutputFormat.TABLE) -> None:
    """Print the fleetops version."""
    emit({"version": __version__}, output, lambda console: console.print(__version__, highlight=False))


def _register_commands() -> None:
    # Each command module adds its commands to ``app``; imported here so that importing the
    # modules has no side effect elsewhere.
    from fleetops.cli import commands  # noqa: F401


def report(err: FleetopsError) -> None:
    """Print an error the way every command does: the message, then each problem on its own line.

    Messages carry user values (file names, YAML text, field values) that may contain ``[``:
    they are printed as plain text, never read as rich markup.
    """
    err_console.print(
        Text.assemble(("error:", "bold red"), " ", err.message), highlight=False, soft_wrap=True
    )
    # A message that already says its problems (the server's often does) is not repeated.
    if isinstance(err, BadInput) and not all(problem in err.message for problem in err.problems):
        for problem in err.problems:
            err_console.print(Text(f"  {problem}"), highlight=False, soft_wrap=True)


def main() -> None:
    """Console-script entry point."""
    _register_commands()
    try:
        # Standalone mode: typer prints usage errors itself and exits 2.
        app()
    except FleetopsError as err:
        report(err)
        sys.exit(int(err.exit_code))
