"""Options several commands share, and where a fleet file's local state lives."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fleetops.cli import discovery

FleetFileOption = Annotated[
    Path, typer.Option("--file", "-f", help="The fleet file; its state lives in .fleetops/ beside it.")
]
FileOption = Annotated[
    Path,
    typer.Option("--file", "-f", help="The fleet file.", show_default=True),
]
EnvOption = Annotated[str, typer.Option("--env", "-e", help="The environment to run.")]
EnvSelectOption = Annotated[
    str | None,
    typer.Option("--env", "-e", help="The environment (default: the only one the control plane runs)."),
]


def state_dir_of(fleet_file: Path) -> Path:
    """Where ``up`` keeps the state of ``fleet_file``: ``.fleetops/`` in its folder (the default
    ``fleet.yaml`` is looked for upward from a subfolder, as git looks for ``.git``)."""
    return discovery.fleet_file(fleet_file).resolve().parent / ".fleetops"
