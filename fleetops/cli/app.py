"""The typer app every command module registers its commands on.

Apart from the entry point (``cli/main.py``), so that a command module imports the app without
importing the module that imports every command module.
"""

from __future__ import annotations

import typer

app = typer.Typer(
    name="fleetops",
    help="Operate a microservice fleet: deploy, roll back, scale, back up, restore, drill recoveries, "
    "query logs, metrics.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root() -> None:
    """Operate a microservice fleet: deploy, roll back, scale, back up, query logs and metrics."""
