"""``LogFollower``: the records appended to a JSON-lines log since the last read, cheaply.

A long-running server's access log grows without bound, and alarms only need its last minutes.
So the follower remembers its byte offset and each read parses only the lines appended since;
the first read (or the first after the file was replaced or truncated) starts near the end:
a binary search finds the first line written at or after ``since_ms``. Lines are in the order
they were written, so the search key is when a line was written (``written_at``: for an access
log, when its request ended), not its ``timestamp`` (when the request started): a long request is
logged after shorter ones that started later. A line still being written (no newline yet) is
left for the next read.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

CHUNK = 4 * 1024 * 1024
"""Bytes read at a time: a large backlog is parsed in bounded pieces."""
DISORDER_MS = 1_000
"""Margin on ``since_ms`` for lines written slightly out of order (threads sharing one file)."""

_DECODER = json.JSONDecoder()
WrittenAt = Callable[[dict[str, Any]], int | None]
"""When a record was written (epoch ms), None if it cannot tell."""


class LogFollower:
    """Follows one JSON-lines file. Not thread-safe: its owner serialises reads."""

    def __init__(self, path: Path, written_at: WrittenAt) -> None:
        self.path = path
        self._written_at = written_at
        self._offset: int | None = None
        self._identity: tuple[int, int] | None = None
        self.lines_read = 0
        """Lines parsed so far (for benchmarks and tests of how much a read costs)."""

    def read(self, since_ms: int) -> Iterator[dict[str, Any]]:
        """The records appended since the last read; on a first read, those written from
        ``since_ms`` on (see the module docstring). Nothing if the file does not exist."""
        try:
            handle = self.path.open("rb")
        except FileNotFoundError:
            return
        with handle:
            stat = os.fstat(handle.fileno())
            identity = (stat.st_dev, stat.st_ino)
            if self._offset is None or identity != self._identity or stat.st_size < self._offset:
                self._identity = identity
                start = since_ms - DISORDER_MS
                self._offset = _first_line_since(handle, stat.st_size, start, self._written_at)
            handle.seek(self._offset)
            carry = b""
            while True:
                chunk = handle.read(CHUNK)
                if not chunk:
                    break
                data = carry + chunk
                end = data.rfind(b"\n") + 1
                carry = data[end:]
                self._offset += end
                yield from self._parse(data[:end])

    def _parse(self, data: bytes) -> Iterator[dict[str, Any]]:
        decode = _DECODER.decode  # on str, without json.loads' encoding detection per line
        for line in data.decode("utf-8", "replace").splitlines():
            self.lines_read += 1
            try:
                record = decode(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                yield record


def _first_line_since(handle: IO[bytes], size: int, since_ms: int, written_at: WrittenAt) -> int:
    """Offset of the first line, in a file sorted (roughly) by time, whose time is >= ``since_ms``."""
    low, high = 0, size  # the answer is in [low, high]; low is 0 or the start of an old line
    while high - low > 64 * 1024:
        middle = (low + high) // 2
        start, moment = _line_after(handle, middle, written_at)
        if start is None or start >= high:
            high = middle
        elif moment is not None and moment < since_ms:
            low = start
        else:
            high = start
    # ``low`` is a line's start (or 0): walk from it, line by line, to the first recent one.
    handle.seek(low)
    position = low
    while True:
        line = handle.readline()
        if not line.endswith(b"\n"):
            return position  # the end, or a line still being written
        moment = _moment(line, written_at)
        if moment is None or moment >= since_ms:
            return position
        position += len(line)


def _line_after(handle: IO[bytes], offset: int, written_at: WrittenAt) -> tuple[int | None, int | None]:
    """The start of the first complete line after ``offset``, and its time (None if unreadable)."""
    handle.seek(offset)
    skipped = handle.readline()
    if not skipped.endswith(b"\n"):
        return None, None
    start = offset + len(skipped)
    line = handle.readline()
    if not line.endswith(b"\n"):
        return None, None
    return start, _moment(line, written_at)


def _moment(line: bytes, written_at: WrittenAt) -> int | None:
    try:
        record = json.loads(line)
    except ValueError:
        return None
    return written_at(record) if isinstance(record, dict) else None
