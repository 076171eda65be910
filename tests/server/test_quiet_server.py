"""QuietServer: uvicorn's server, awake once a second, stopped at once by a stop signal."""

from __future__ import annotations

import asyncio
import signal
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from fleetops.server import quiet_server
from fleetops.server.quiet_server import QuietServer
from fleetops.testing.waiting import wait_until


async def _hello(_request: object) -> PlainTextResponse:
    return PlainTextResponse("hello")


@contextmanager
def _serving() -> Iterator[tuple[QuietServer, str, threading.Thread]]:
    # On a thread of its own: uvicorn installs no signal handlers off the main thread, so the
    # test calls handle_exit itself, as a signal would.
    config = uvicorn.Config(Starlette(routes=[Route("/", _hello)]), log_config=None, lifespan="off")
    server = QuietServer(config)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started, timeout=30, what="the server started")
        yield server, url, thread
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def test_it_answers_with_a_date_header() -> None:
    with _serving() as (_server, url, _thread):
        response = httpx.get(url)
    assert (response.status_code, response.text, "date" in response.headers) == (200, "hello", True)


def test_a_stop_signal_wakes_the_loop_instead_of_waiting_for_its_tick(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # With an hour between ticks, only the wake-up of handle_exit can end the server in time.
    monkeypatch.setattr(quiet_server, "TICK_SECONDS", 3600.0)
    with _serving() as (server, _url, thread):
        server.handle_exit(signal.SIGTERM, None)
        thread.join(timeout=30)
        assert not thread.is_alive()
