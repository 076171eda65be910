"""``fleetops.cli.output.emit_rows``: a table for people, rows alone for scripts (--no-headers)."""

from __future__ import annotations

import io

from rich.console import Console

from fleetops.cli import output
from fleetops.cli.output import OutputFormat, emit_rows

ROWS = [{"name": "menu", "count": 3}, {"name": "orders", "count": 12}]


def _printed(rows: list[dict[str, object]], *, headers: bool, empty: str | None = None) -> str:
    buffer = io.StringIO()
    saved = output.console
    output.console = Console(file=buffer, width=200)
    try:
        emit_rows(
            rows, OutputFormat.TABLE, columns=("name", "count"), row=lambda r: (r["name"], r["count"]),
            empty=empty, headers=headers,
        )  # fmt: skip
    finally:
        output.console = saved
    return buffer.getvalue()


def test_without_headers_each_row_is_one_line_of_space_separated_columns() -> None:
    assert _printed(ROWS, headers=False) == "menu    3 \norders  12\n"


def test_without_headers_no_rows_print_nothing_not_the_empty_message() -> None:
    assert _printed([], headers=False, empty="no services") == ""


def test_with_headers_no_rows_print_the_empty_message() -> None:
    assert _printed([], headers=True, empty="no services") == "no services\n"
