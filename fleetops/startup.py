"""Importing a process's layers without the cyclic garbage collector running over them.

A control plane's start creates ~1.5 million objects that live as long as the process (modules,
classes, pydantic validators, FastAPI routes, SQLAlchemy tables) and next to no garbage. The
collector ran ~460 times while they were imported, a fifth of the CPU of importing the server
(0.27 of 1.38 s), and every full collection afterwards scanned them all again (0.4 s). So a
process imports them with the collector paused, then moves what it imported out of the
collector's generations (``gc.freeze``, as Python's documentation suggests for long-lived
start-up state) and resumes it: garbage made later is collected as before.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run the block (imports, building long-lived objects) without cyclic garbage collection;
    what exists at its end is frozen, and the collector resumes if it was running."""
    running = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if running:
            gc.enable()
