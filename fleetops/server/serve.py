"""Run the control plane in the foreground with uvicorn, announcing itself in ``server.json``.

``<state_dir>/server.json`` holds ``{"url", "pid", "state_dir", "store", "started_at", "fleet_file",
"environment", "environments"}`` (``fleet_file`` and ``environment``, the one it started with,
None without ``--fleet``; ``environments`` those running, kept current) while the server runs;
the CLI reads it to find the server. It is written once the port is bound (so ``port=0`` is
reported as the real port) and removed on a clean exit (SIGINT/SIGTERM); after a crash it
stays, and ``fleetops up`` starts the environments it names again.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import uvicorn

from fleetops.control.environments import Opener
from fleetops.errors import FleetopsError, Refused
from fleetops.processes import pid_alive
from fleetops.server.app import create_app
from fleetops.server.log_redaction import redact_logging
from fleetops.server.quiet_server import QuietServer
from fleetops.server.settings import SERVER_FILE, ServerSettings, read_server_file

GRACEFUL_SHUTDOWN_SECONDS = 5
"""How long a stopping server lets requests in progress finish before cancelling them."""


def serve(
    settings: ServerSettings,
    on_ready: Callable[[dict[str, Any]], None] | None = None,
    *,
    opener: Opener | None = None,
) -> None:
    """Serve the API until interrupted. Refuses to start when a live server owns ``state_dir``.

    ``on_ready`` is called with the ``server.json`` contents once the port is bound; ``opener``
    (``create_app``) is for ``fleetops bench orchestrator`` only.
    """
    running = read_server_file(settings.state_dir)
    if running is not None and pid_alive(running.get("pid")):
        raise Refused(
            f"a fleetops server is already running for {settings.state_dir} "
            f"(pid {running['pid']}, {running.get('url')}); stop it first"
        )
    sock = _bind(settings.host, settings.port)
    app = create_app(settings, opener=opener)
    port = sock.getsockname()[1]
    url = f"http://{_client_host(settings.host)}:{port}"
    server_file = settings.state_dir / SERVER_FILE
    announcement = {
        "url": url,
        "pid": os.getpid(),
        "state_dir": str(settings.state_dir.resolve()),
        "store": str(app.state.store.kind),
        "started_at": datetime.now(UTC).isoformat(),
        "fleet_file": None if settings.fleet_file is None else str(settings.fleet_file.resolve()),
        "environment": settings.environment if settings.fleet_file is not None else None,
        "environments": app.state.environments.names(),
    }
    _write_json(server_file, announcement)
    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then raises the signal again so the
    # process dies of it; turning that into an exception lets us clean up and exit 0.
    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        # Long polls (GetActivityTask holds a request up to a minute) must not hold up a stop.
        config = uvicorn.Config(
            app,
            log_level="info",
            access_log=False,
            lifespan="on",
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        )
        # After uvicorn.Config, which installs uvicorn's log handlers.
        redact_logging(app.state.redactor)
        # Announced ("Ctrl-C stops it") once a Ctrl-C stops it cleanly: one during
        # uvicorn.Config's logging setup came out as "ValueError: Unable to configure handler
        # 'access'" (the stop wrapped by logging.config), a traceback and exit 1.
        if on_ready is not None:
            on_ready(announcement)
        QuietServer(config).run(sockets=[sock])
    except _Stopped:
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sock.close()
        current = read_server_file(settings.state_dir)
        if current is not None and current.get("pid") == os.getpid():
            server_file.unlink(missing_ok=True)


class _Stopped(Exception):
    """A stop signal arrived."""


def _stop(_signum: int, _frame: object) -> None:
    raise _Stopped


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as err:
        sock.close()
        raise FleetopsError(f"cannot listen on {host}:{port}: {err.strerror}") from err
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _client_host(host: str) -> str:
    # A server on every interface is reached locally through loopback.
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pending = path.with_name(f".{path.name}.{os.getpid()}")
    pending.write_text(json.dumps(data, indent=2) + "\n")
    with contextlib.suppress(FileNotFoundError):
        os.replace(pending, path)
