"""The smoke gate against a local HTTP server: retries, exact causes, connection errors."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from fleetops.runbooks.smoke import smoke_check
from fleetops.spec.models import SmokeRequest
from fleetops.testing.receivers import webhook_receiver


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client() as opened:
        yield opened


def test_passes_on_the_second_attempt(client: httpx.Client) -> None:
    with webhook_receiver(statuses=[503, 200]) as web:
        result = smoke_check(client, web.base_url, "gateway", SmokeRequest(path="/api/menu"))
        assert web.gets == ["/api/menu", "/api/menu"]
    assert result.passed is True
    assert result.to_json() == {
        "path": "/api/menu",
        "url": f"{web.base_url}/api/menu",
        "expect": "200",
        "attempts": ["503", "200"],
        "passed": True,
    }


def test_fails_after_every_attempt_with_the_last_answer(client: httpx.Client) -> None:
    with webhook_receiver(statuses=[500, 404]) as web:
        result = smoke_check(client, web.base_url + "/", "orders", SmokeRequest(expect="200,204", attempts=3))
        assert web.gets == ["/health", "/health", "/health"]
    assert result.passed is False
    assert result.outcomes == ("500", "404", "404")
    assert result.cause == "smoke request to orders /health got 404 (3 tries), expected 200,204"


def test_connection_error_is_named(client: httpx.Client) -> None:
    with socket.socket() as probe:  # a free port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    spec = SmokeRequest(attempts=1, timeout=timedelta(milliseconds=500))
    result = smoke_check(client, f"http://127.0.0.1:{port}", "menu", spec)
    assert result.cause == (
        "smoke request to menu /health got ConnectError: [Errno 111] Connection refused (1 try), expected 200"
    )
