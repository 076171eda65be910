"""Local receivers for notification tests: a webhook endpoint and an SMTP server on free ports.

with webhook_receiver(statuses=[500, 200]) as hook:   # first POST fails, then succeeds
    ...post to hook.url...
    assert hook.bodies == [...]
with webhook_receiver(statuses=[503, 200]) as web:   # also answers GETs: a smoke request target
    ...get web.base_url + "/health"...
    assert web.gets == ["/health", "/health"]
with smtp_server() as smtp:
    ...send to ("127.0.0.1", smtp.port)...
    assert smtp.messages[0]["Subject"] == "..."
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


@dataclass
class WebhookReceiver:
    """What a webhook receiver got: every JSON body, in order; it answers with ``statuses`` in turn."""

    url: str
    statuses: list[int]
    bodies: list[Any] = field(default_factory=list)
    gets: list[str] = field(default_factory=list)
    """The path of every GET, in order."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``, without the path."""
        return self.url.removesuffix("/hook")

    def next_status(self) -> int:
        with self.lock:
            return self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]


@contextmanager
def webhook_receiver(statuses: Sequence[int] = (200,)) -> Iterator[WebhookReceiver]:
    """An HTTP server on a free loopback port recording POSTed JSON and GET paths; it answers
    each request with the next of ``statuses``, the last one repeating."""
    receiver: WebhookReceiver | None = None

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            assert receiver is not None
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            with receiver.lock:
                receiver.bodies.append(json.loads(body))
            self._answer(receiver.next_status())

        def do_GET(self) -> None:
            assert receiver is not None
            with receiver.lock:
                receiver.gets.append(self.path)
            self._answer(receiver.next_status())

        def _answer(self, status: int) -> None:
            payload = b"ok" if status < 300 else b"no"
            self.send_response(status)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver = WebhookReceiver(
        url=f"http://127.0.0.1:{server.server_address[1]}/hook", statuses=list(statuses)
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass
class SmtpServer:
    """What a local SMTP server received."""

    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.server.messages.append(parsed)
        self.server.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


class _Authenticator:
    def __init__(self, server: SmtpServer, username: str, password: str) -> None:
        self.server = server
        self.expected = (username.encode(), password.encode())

    def __call__(
        self, _server: Any, _session: Any, _envelope: Any, _mechanism: str, auth_data: Any
    ) -> AuthResult:
        given = (auth_data.login, auth_data.password)
        self.server.logins.append(given[0].decode())
        return AuthResult(success=given == self.expected, handled=False)


@contextmanager
def smtp_server(credentials: tuple[str, str] | None = None) -> Iterator[SmtpServer]:
    """An aiosmtpd server on a free loopback port recording every message.

    No TLS. With ``credentials`` (user, password) it offers AUTH without TLS and checks them
    (``logins`` lists who logged in).
    """
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    received = SmtpServer(port=port)
    auth: dict[str, Any] = {}
    if credentials is not None:
        auth = {
            "authenticator": _Authenticator(received, *credentials),
            "auth_require_tls": False,
            # PLAIN only, so a refused login is one exchange (smtplib tries each offered mechanism).
            "auth_exclude_mechanism": ["LOGIN"],
        }
    controller = Controller(_Handler(received), hostname="127.0.0.1", port=port, **auth)
    controller.start()
    try:
        yield received
    finally:
        controller.stop()
