"""The typer app every command module registers its commands on.

Apart from the entry point (``cli/main.py``), so that a command module imports the app without
importing the entry point. The app's group imports a command's modules when the command is
resolved (``cli/lazy.py``), by their names in ``cli/commands.py``.
"""

from __future__ import annotations

import importlib
from typing import Any

import typer
from typer._click import Command

from fleetops.cli.coercion import coerce_own_plainly, coerce_plainly
from fleetops.cli.commands import COMMANDS
from fleetops.cli.lazy import LazyCommands, LazyGroup, Listed
from fleetops.startup import collector_paused


class _Fleetops(LazyGroup):
    registry = COMMANDS

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        coerce_own_plainly(self)

    def load(self, entry: Listed) -> Command:
        with collector_paused():
            for module in entry.modules:
                importlib.import_module(module)
        # typer builds the group from what the modules imported so far registered on ``app``.
        built = typer.main.get_command(app)
        commands = getattr(built, "commands", None)
        command = commands.loaded.get(entry.name) if isinstance(commands, LazyCommands) else None
        if command is None:
            raise LookupError(f"{', '.join(entry.modules)} register no command {entry.name!r}")
        coerce_plainly(command)
        return command


app = typer.Typer(
    name="fleetops",
    cls=_Fleetops,
    help="Operate a microservice fleet: deploy, roll back, scale, back up, restore, drill recoveries, "
    "query logs, metrics.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root() -> None:
    """Operate a microservice fleet: deploy, roll back, scale, back up, query logs and metrics."""
