"""The ``fleetops`` entry point: builds the typer app and maps errors to exit codes."""

from __future__ import annotations

import sys

from rich.text import Text

from fleetops.cli.app import app
from fleetops.cli.output import OutputFormat, document_printed, emit, err_console, error_document
from fleetops.errors import BadInput, FleetopsError


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


def requested_format(argv: list[str]) -> OutputFormat:
    """The ``-o/--output`` of a command line (table when none is given)."""
    for i, arg in enumerate(argv):
        value = None
        if arg in ("-o", "--output") and i + 1 < len(argv):
            value = argv[i + 1]
        elif arg.startswith("--output="):
            value = arg.split("=", 1)[1]
        elif arg.startswith("-o") and len(arg) > 2 and not arg.startswith("--"):
            value = arg[2:]
        if value in (OutputFormat.JSON.value, OutputFormat.YAML.value):
            return OutputFormat(value)
    return OutputFormat.TABLE


def main() -> None:
    """Console-script entry point."""
    try:
        # Standalone mode: typer prints usage errors itself and exits 2.
        app()
    except FleetopsError as err:
        fmt = requested_format(sys.argv[1:])
        if fmt.document and not document_printed():
            # A program asked for a document: it gets the error as one, on stdout.
            problems = err.problems if isinstance(err, BadInput) else []
            emit(error_document(err.message, int(err.exit_code), problems), fmt, lambda _c: None)
        else:
            report(err)
        sys.exit(int(err.exit_code))
