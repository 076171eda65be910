"""``--output table|json`` for every command, and the one place results are printed."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Console


class OutputFormat(StrEnum):
    """How a command prints its result."""

    TABLE = "table"
    JSON = "json"


OutputOption = Annotated[
    OutputFormat,
    typer.Option("--output", "-o", help="How to print the result: a table for people, json for programs."),
]

console = Console()
err_console = Console(stderr=True)


def emit(data: Any, fmt: OutputFormat, render_table: Callable[[Console], None]) -> None:
    """Print ``data`` as JSON, or call ``render_table`` to draw it for people."""
    if fmt is OutputFormat.JSON:
        sys.stdout.write(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")
    else:
        render_table(console)
