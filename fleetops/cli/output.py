"""``--output table|json`` for every command, and the one place results are printed."""

from __future__ import annotations

import json
import os
import re
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
    YAML = "yaml"

    @property
    def document(self) -> bool:
        """Whether stdout carries one document for programs (json, yaml): nothing else goes there."""
        return self is not OutputFormat.TABLE


OutputOption = Annotated[
    OutputFormat,
    typer.Option(
        "--output", "-o", help="How to print the result: a table for people, json or yaml for programs."
    ),
]

NoHeadersOption = Annotated[
    bool,
    typer.Option(
        "--no-headers",
        help="Print the table's rows without its header and borders: columns apart by spaces, for scripts.",
    ),
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


_printed = {"document": False}


def document_printed() -> bool:
    """Whether this command printed its JSON/YAML document already (an error after it must not
    print a second one)."""
    return _printed["document"]


def emit(data: Any, fmt: OutputFormat, render_table: Callable[[Console], None]) -> None:
    """Print ``data`` as JSON or YAML, or call ``render_table`` to draw it for people."""
    _printed["document"] = fmt.document
    if fmt is OutputFormat.JSON:
        sys.stdout.write(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")
    elif fmt is OutputFormat.YAML:
        sys.stdout.write(as_yaml(data))
    else:
        render_table(console)


def as_yaml(data: Any) -> str:
    """``data`` as a YAML document (the same values as the JSON output: dates as ISO strings)."""
    # Imported here: every command loads this module, few print YAML (0.01-0.02 s of CPU a call).
    import yaml

    plain_data = json.loads(json.dumps(data, default=str))
    return str(yaml.safe_dump(plain_data, sort_keys=False, allow_unicode=True, default_flow_style=False))


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
    headers: bool = True,
) -> None:
    """Print ``rows`` as JSON, or as a table of ``columns`` with one line per row: ``row`` gives
    its cells, each shown as written (a ``Text`` keeps its style); ``empty`` is printed instead
    of an empty table when given. Without ``headers`` (``--no-headers``, as kubectl has it) the
    rows alone, their columns apart by spaces, and nothing at all for no rows: a script reads
    every line as a row."""

    def render(console: Console) -> None:
        if not rows and (empty is not None or not headers):
            if headers:
                console.print(empty, highlight=False, markup=False)
            return
        table = Table(*columns) if headers else Table(*columns, show_header=False, box=None, pad_edge=False)
        for item in rows:
            table.add_row(*(cell if isinstance(cell, Text) else plain(cell) for cell in row(item)))
        console.print(table)

    emit(rows, fmt, render)


_PROBLEM = re.compile(
    r"^(?P<file>[^\s:][^:]*):(?P<line>\d+):(?P<column>\d+) (?P<path>[^\s:]+): (?P<message>.+)$", re.S
)


def structured_problem(problem: str) -> dict[str, Any]:
    """A problem as a program reads it: ``fleet.yaml:3:11 services: expected …`` becomes
    ``{"file", "line", "column", "path", "message"}``; one without a place is ``{"message"}``."""
    found = _PROBLEM.match(problem)
    if found is None:
        return {"message": problem}
    return {
        "file": found["file"],
        "line": int(found["line"]),
        "column": int(found["column"]),
        "path": found["path"],
        "message": found["message"],
    }


def error_document(message: str, exit_code: int, problems: Sequence[str]) -> dict[str, Any]:
    """An error as ``-o json``/``-o yaml`` print it: an object, its problems structured."""
    return {
        "error": message,
        "exit_code": exit_code,
        "problems": [structured_problem(problem) for problem in problems],
    }
