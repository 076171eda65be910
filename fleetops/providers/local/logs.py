"""Reading the end of JSON-lines log files without reading them whole."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

_BLOCK = 64 * 1024


def tail_lines(path: Path, count: int) -> list[str]:
    """The last ``count`` complete lines of ``path`` (fewer if it has fewer; none if missing)."""
    if count <= 0:
        return []
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return []
    with handle:
        end = handle.seek(0, os.SEEK_END)
        data = b""
        position = end
        # Read blocks backwards until enough newlines are in hand (one more than lines wanted,
        # so the first line kept is complete).
        while position > 0 and data.count(b"\n") <= count:
            step = min(_BLOCK, position)
            position -= step
            handle.seek(position)
            data = handle.read(step) + data
    lines = data.decode("utf-8", "replace").splitlines()
    if position > 0:
        lines = lines[1:]
    return lines[-count:]


def read_tail(path: Path, count: int) -> list[dict[str, Any]]:
    """The last ``count`` JSON records of a JSON-lines file; unparsable lines are skipped."""
    records: list[dict[str, Any]] = []
    for line in tail_lines(path, count):
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records
