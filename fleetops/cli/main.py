"""The ``fleetops`` entry point: builds the typer app and maps errors to exit codes."""

from __future__ import annotations

import sys

import typer

from fleetops import __version__
from fleetops.cli.output import err_console
from fleetops.errors import BadInput, FleetopsError

app = typer.Typer(
    name="fleetops",
    help="Operate a microservice fleet: deploy, roll back, rotate secrets, back up, drill.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root() -> None:
    """Operate a microservice fleet: deploy, roll back, rotate secrets, back up, drill."""


@app.command()
def version() -> None:
    """Print the fleetops version."""
    typer.echo(__version__)


def _register_commands() -> None:
    # Each command module adds its commands to ``app``; imported here so that importing the
    # modules has no side effect elsewhere.
    from fleetops.cli import commands  # noqa: F401


def report(err: FleetopsError) -> None:
    """Print an error the way every command does: each problem on its own line."""
    if isinstance(err, BadInput) and len(err.problems) > 1:
        err_console.print(f"[bold red]error:[/] {err.message}", highlight=False)
        for problem in err.problems:
            err_console.print(f"  {problem}", highlight=False, soft_wrap=True)
    else:
        err_console.print(f"[bold red]error:[/] {err.message}", highlight=False, soft_wrap=True)


def main() -> None:
    """Console-script entry point."""
    _register_commands()
    try:
        # Standalone mode: typer prints usage errors itself and exits 2.
        app()
    except FleetopsError as err:
        report(err)
        sys.exit(int(err.exit_code))
