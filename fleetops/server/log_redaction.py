"""The server's own log (``server.log`` under ``fleetops up``) passes through the redaction too.

Whatever reaches a log line (an exception's message, a handler's cause) is formatted, then the
formatted text, traceback included, goes through the app's redactor: the last net under the
redaction already done where texts leave an instance or enter the store.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

from fleetops.redaction import Redactor

LOGGERS = ("", "uvicorn", "uvicorn.error", "uvicorn.access")
"""The loggers whose handlers write the server's log: the root (fleetops' own loggers propagate
to it) and uvicorn's, which it configures with handlers of their own."""


class RedactingFormatter(logging.Formatter):
    """Formats with ``inner``, then redacts the whole text."""

    def __init__(self, inner: logging.Formatter, redactor: Redactor) -> None:
        super().__init__()
        self.inner = inner
        self.redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        return self.redactor.text(self.inner.format(record))


def redact_logging(redactor: Redactor, loggers: Sequence[str] = LOGGERS) -> None:
    """Make every handler of ``loggers`` redact what it writes. Without a root handler (Python
    then prints warnings and errors through its last-resort handler, unformatted and
    unredacted), one writing warnings and errors to stderr is added first."""
    root = logging.getLogger()
    if "" in loggers and not root.handlers:
        stderr = logging.StreamHandler(sys.stderr)
        stderr.setLevel(logging.WARNING)
        stderr.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.addHandler(stderr)
    for name in loggers:
        for handler in logging.getLogger(name).handlers:
            if not isinstance(handler.formatter, RedactingFormatter):
                handler.setFormatter(RedactingFormatter(handler.formatter or logging.Formatter(), redactor))
