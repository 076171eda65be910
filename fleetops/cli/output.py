"""``--output table|json`` for every command, and the one place results are printed."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Annotated, Any, TextIO

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text


class OutputFormat(StrEnum):
    """How a command prints its result."""

    TABLE = "table"
    JSON = "json"


OutputOption = Annotated[
    OutputFormat,
    typer.Option("--output", "-o", help="How to print the result: a table for people, json for programs."),
]

FULL_WIDTH = 10_000
"""The width of output that is not a terminal: lines are never cut or wrapped at 80 columns."""


def _console(stream: TextIO, *, stderr: bool = False) -> Console:
    # A terminal wraps at its own width; piped or redirected output (a script, a CI log) keeps
    # whole lines. $COLUMNS, when set, still wins, as rich reads it.
    piped = not stream.isatty() and "COLUMNS" not in os.environ
    return Console(stderr=stderr, width=FULL_WIDTH if piped else None)


console = _console(sys.stdout)
err_console = _console(sys.stderr, stderr=True)


def emit(data: Any, fmt: OutputFormat, render_table: Callable[[Console], None]) -> None:
    """Print ``data`` as JSON, or call ``render_table`` to draw it for people."""
    if fmt is OutputFormat.JSON:
        sys.stdout.write(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")
    else:
        render_table(console)


def shorten(text: str, width: int) -> str:
    """``text`` cut to ``width`` at a word boundary, ending in ``…`` when cut (never mid-word)."""
    if len(text) <= width:
        return text
    cut = text[: width - 1]
    if " " in cut and not text[width - 1].isspace():
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip() + "…"


def plain(value: object, style: str = "") -> Text:
    """``value`` as text shown as written, in ``style``.

    Text from users and servers (reasons, names, messages, log lines) goes through here, or is
    printed with ``markup=False``: rich would read ``[red]`` in it as a style, and refuse ``[/]``.
    """
    return Text("" if value is None else str(value), style=style)


Row = Callable[[dict[str, Any]], Sequence[object]]


def emit_rows(
    rows: list[dict[str, Any]],
    fmt: OutputFormat,
    *,
    columns: Sequence[str],
    row: Row,
    empty: str | None = None,
) -> None:
    """Print ``rows`` as JSON, or as a table of ``columns`` with one line per row: ``row`` gives
    its cells, each shown as written (a ``Text`` keeps its style); ``empty`` is printed instead
    of an empty table when given."""

    def render(console: Console) -> None:
        if not rows and empty is not None:
            console.print(empty, highlight=False, markup=False)
            return
        table = Table(*columns)
        for item in rows:
            table.add_row(*(cell if isinstance(cell, Text) else plain(cell) for cell in row(item)))
        console.print(table)

    emit(rows, fmt, render)
