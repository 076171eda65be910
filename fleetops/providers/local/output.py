"""A process's output, written by the process itself to files that outlive the control plane.

A child writes its stdout and stderr straight into raw files it holds open in append mode (not
into pipes read by the control plane): when the control plane dies, the child keeps writing and
serving, and a restarted control plane adopts it and goes on converting its output from where
the last one stopped. An :class:`OutputTail` turns each complete line of a raw file into one
JSON record of the log (see ``process.to_record``), through the transform (the redaction of
secret values: a raw file may hold a secret, a log file never does), and saves how far it read
in a position file after each batch (overwritten in place, see ``_position_record``). Raw and
position files are private (0600) and deleted once the process has ended and its last lines are
converted.

One daemon thread (``_Poller``) serves every tail of the control plane: each 100 ms it compares
each raw file's size with how far its tail read (one ``stat``) and reads only those that grew. A
thread per stream (two per instance) woke 20 times a second per instance to find nothing new;
an idle example fleet spent most of its control plane's CPU there.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

from fleetops.private_files import private_file

log = logging.getLogger(__name__)

_POLL_SECONDS = 0.1
_BATCH_BYTES = 1 << 20

Record = dict[str, Any]
Sink = Callable[[Record], None]
Convert = Callable[[str], Record | None]


def open_raw_output(path: Path) -> IO[bytes]:
    """The raw output file at ``path`` (created private), opened for the child to append to."""
    return private_file(path).open("ab")


def read_position(path: Path) -> int:
    """The offset saved in ``path``; 0 when missing or unreadable."""
    try:
        value = int(path.read_text().strip())
    except (OSError, ValueError):
        return 0
    return max(value, 0)


_POSITION_WIDTH = 20
"""Digits an offset is written in (right-aligned): every save overwrites the whole record."""


def _position_record(offset: int) -> bytes:
    # One write of a fixed length at the start of the file replaces the last record whole, so a
    # reader (a restarted control plane) finds either the old offset or the new one. Writing a
    # new file and renaming it over the old made ext4 flush the data at every rename (about
    # 0.25 ms of CPU and 1.2 ms of wall time per save, several saves a second per instance).
    return f"{offset:{_POSITION_WIDTH}d}\n".encode()


class OutputTail:
    """Converts a raw output file into log records, polled by the tails' thread (see the module
    docstring)."""

    def __init__(self, raw: Path, position: Path, convert: Convert, sink: Sink, *, name: str) -> None:
        self.raw = raw
        self.position_file = position
        self._convert = convert
        self._sink = sink
        self.name = name
        self._offset = read_position(position)
        self._position_fd: int | None = None
        """The position file, opened at the first save and kept open until :meth:`finish`."""
        self._stopped = False
        self._lock = threading.Lock()
        _POLLER.add(self)

    def poll(self) -> None:
        """Read what was written since the last read, if the raw file grew or was replaced (the
        poller's call; a stopped tail reads nothing)."""
        try:
            if os.stat(self.raw).st_size == self._offset:
                return
            with self._lock:
                if self._stopped:
                    return
                self._read(final=False)
        except OSError:
            return

    def read(self, *, final: bool) -> int:
        """Convert what was written since the last read (complete lines only, unless ``final``:
        the process has ended, a last line without its newline is kept too); the records read."""
        with self._lock:
            return self._read(final=final)

    def _read(self, *, final: bool) -> int:
        count = 0
        try:
            handle = self.raw.open("rb")
        except FileNotFoundError:
            return 0
        with handle:
            if handle.seek(0, os.SEEK_END) < self._offset:
                self._offset = 0  # the file was replaced: start over
            handle.seek(self._offset)
            while True:
                data = handle.read(_BATCH_BYTES)
                if not data:
                    break
                end = len(data) if final else data.rfind(b"\n") + 1
                if end == 0:
                    if len(data) < _BATCH_BYTES:
                        break
                    end = len(data)  # a line longer than a batch: cut it
                for line in data[:end].decode("utf-8", "replace").splitlines():
                    record = self._convert(line)
                    if record is not None:
                        self._sink(record)
                        count += 1
                self._offset += end
                handle.seek(self._offset)
                self._save_position()
        return count

    def _save_position(self) -> None:
        if self._position_fd is None:
            self._position_fd = os.open(private_file(self.position_file), os.O_WRONLY)
        os.pwrite(self._position_fd, _position_record(self._offset), 0)

    def finish(self, *, remove: bool) -> None:
        """Stop polling, convert the last lines, and (``remove``) delete the raw and position
        files."""
        _POLLER.remove(self)
        with self._lock:
            self._stopped = True
            with contextlib.suppress(OSError):
                self._read(final=True)
            if self._position_fd is not None:
                os.close(self._position_fd)
                self._position_fd = None
        if remove:
            self.raw.unlink(missing_ok=True)
            self.position_file.unlink(missing_ok=True)


class _Poller:
    """The one thread that polls every running :class:`OutputTail` (see the module docstring)."""

    def __init__(self) -> None:
        self._tails: list[OutputTail] = []
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    def add(self, tail: OutputTail) -> None:
        with self._changed:
            self._tails.append(tail)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="output-tails", daemon=True)
                self._thread.start()
            self._changed.notify()

    def remove(self, tail: OutputTail) -> None:
        with self._changed:
            if tail in self._tails:
                self._tails.remove(tail)

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self._tails:  # nothing to tail: sleep until a tail is added
                    self._changed.wait()
                tails = list(self._tails)
            for tail in tails:
                try:
                    tail.poll()
                except Exception:  # a failing sink must not stop the other tails' logs
                    log.exception("converting the output of %s failed", tail.name)
            time.sleep(_POLL_SECONDS)


_POLLER = _Poller()


def output_paths(base: Path) -> Mapping[str, tuple[Path, Path]]:
    """Raw file and position file of each stream of the process whose log is ``base``."""
    return {
        stream: (base.with_name(f"{base.stem}.{stream}.raw"), base.with_name(f"{base.stem}.{stream}.pos"))
        for stream in ("stdout", "stderr")
    }
