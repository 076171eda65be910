"""The server's own log lines pass through the redaction, tracebacks included."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from fleetops.redaction import secret_redactor
from fleetops.server.log_redaction import RedactingFormatter, redact_logging


@pytest.fixture
def logger() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    log = logging.getLogger("uvicorn.error")
    saved = (log.handlers, log.propagate)
    log.handlers, log.propagate = [handler], False
    try:
        yield log, stream
    finally:
        log.handlers, log.propagate = saved


def test_messages_and_tracebacks_are_redacted(logger: tuple[logging.Logger, io.StringIO]) -> None:
    log, stream = logger
    redact_logging(secret_redactor(lambda: {"db-secret-9"}), ["uvicorn.error"])
    try:
        raise RuntimeError("connect postgres://u:pw@h failed with db-secret-9")
    except RuntimeError:
        log.exception("cause: %s", "db-secret-9")
    text = stream.getvalue()
    assert text.startswith("ERROR cause: ***\nTraceback (most recent call last):")
    assert text.rstrip().endswith("RuntimeError: connect postgres://u:***@h failed with ***")
    assert "db-secret-9" not in text
    assert isinstance(log.handlers[0].formatter, RedactingFormatter)
