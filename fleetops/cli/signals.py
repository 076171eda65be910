"""SIGTERM as an exit that unwinds, for commands that own processes and folders while they run.

Python's default SIGTERM ends the process at once: no ``finally`` and no context manager's exit
runs. A bench killed by ``timeout`` or a CI job's cancel then left its control planes, their
private PostgreSQL and its temporary folder behind. Inside :func:`unwinding_on_sigterm` the
signal raises ``SystemExit(143)`` (128 + SIGTERM, the shell's code for it) in the main thread,
so everything the command set up is stopped and removed on the way out.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


def _exit(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


@contextmanager
def unwinding_on_sigterm() -> Iterator[None]:
    """Within it, SIGTERM raises ``SystemExit(143)``; the previous handler is restored after."""
    previous = signal.signal(signal.SIGTERM, _exit)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
