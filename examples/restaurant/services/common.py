"""What every example service shares: settings from env, JSON logs, /health, fault switches (the
other services a service calls are `dependency.py`'s).

Each service is a script (`python services/<name>.py`) that builds a Starlette app with
`create_app(env)` and serves it with `serve(app, env)` on 127.0.0.1:$PORT.

Fault switches (for drills and demos; fleetops knows nothing of them), read from env:
  FAULT_FAIL_HEALTH_AFTER  duration after start-up from which /health answers 503
  FAULT_ERROR_RATE         share (0..1) of non-health requests answered with a 500
  FAULT_SLOW_START         duration to wait before the port opens
  FAULT_CPU_BURN           number of threads spinning on the CPU
  FAULT_MEMORY_GROWTH      megabytes allocated (and kept: a leak) every second, up to 256 MB
  FAULT_LATENCY            duration added to every non-health request
  FAULT_LOG_ENV            comma-separated names of env variables whose values are logged at
                           start-up (a careless release printing its configuration, secrets too)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import random
import re
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import FrameType
from typing import Any, Protocol

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def parse_duration(text: str) -> float:
    """Seconds in a duration such as ``500ms``, ``5s``, ``2m``, ``1h`` or a bare number of seconds."""
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a duration (expected e.g. 500ms, 5s, 2m)")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def now_iso() -> str:
    """The current UTC time, ISO 8601 with milliseconds."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Settings:
    """Who this instance is and which faults it carries, read once from its environment."""

    service: str
    version: str
    instance: str
    port: int
    fail_health_after: float | None = None
    error_rate: float = 0.0
    slow_start: float = 0.0
    cpu_burn: int = 0
    memory_growth_mb: int = 0
    latency: float = 0.0
    logged_env: tuple[tuple[str, str], ...] = ()
    secret_versions: Mapping[str, str] = field(default_factory=dict)
    """The secret versions fleetops handed this instance (``FLEETOPS_SECRET_VERSIONS``), echoed
    on /health: how a rotation proves every instance picked its new value up."""
    started: float = field(default_factory=time.monotonic)

    @classmethod
    def from_env(cls, service: str, env: Mapping[str, str]) -> Settings:
        """Settings for ``service`` from ``env``; a malformed switch raises ValueError naming it."""
        fail_after = env.get("FAULT_FAIL_HEALTH_AFTER")
        error_rate = float(env.get("FAULT_ERROR_RATE", "0") or 0)
        if not 0.0 <= error_rate <= 1.0:
            raise ValueError(f"FAULT_ERROR_RATE={error_rate} is not between 0 and 1")
        return cls(
            service=env.get("FLEETOPS_SERVICE", service),
            version=env.get("VERSION", "dev"),
            instance=env.get("FLEETOPS_INSTANCE_ID", f"{service}-{os.getpid()}"),
            port=int(env.get("PORT", "0")),
            fail_health_after=parse_duration(fail_after) if fail_after else None,
            error_rate=error_rate,
            slow_start=parse_duration(env.get("FAULT_SLOW_START", "0")),
            cpu_burn=int(env.get("FAULT_CPU_BURN", "0") or 0),
            memory_growth_mb=int(env.get("FAULT_MEMORY_GROWTH", "0") or 0),
            latency=parse_duration(env.get("FAULT_LATENCY", "0")),
            logged_env=tuple(
                (name.strip(), env.get(name.strip(), ""))
                for name in env.get("FAULT_LOG_ENV", "").split(",")
                if name.strip()
            ),
            secret_versions=json.loads(env.get("FLEETOPS_SECRET_VERSIONS") or "{}"),
        )


class JsonLog:
    """Writes one JSON object per line to a stream (stdout by default)."""

    def __init__(self, settings: Settings, stream: Any = None) -> None:
        self._settings = settings
        self._stream = stream if stream is not None else sys.stdout
        self._lock = threading.Lock()

    def __call__(self, level: str, msg: str, **fields: Any) -> None:
        """Log ``msg`` at ``level`` with extra ``fields``."""
        record = {
            "timestamp": now_iso(),
            "level": level,
            "msg": msg,
            **fields,
            "service": self._settings.service,
            "version": self._settings.version,
            "instance": self._settings.instance,
        }
        line = json.dumps(record, default=str)
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()


class _LogHandler(logging.Handler):
    """Routes uvicorn's own log records into the JSON log."""

    def __init__(self, log: JsonLog) -> None:
        super().__init__()
        self._log = log

    def emit(self, record: logging.LogRecord) -> None:
        self._log(record.levelname.lower(), record.getMessage(), logger=record.name)


class RequestLogAndFaults:
    """ASGI middleware: injects the error-rate fault and logs every request as one JSON line."""

    def __init__(self, app: ASGIApp, settings: Settings, log: JsonLog) -> None:
        self._app = app
        self._settings = settings
        self._log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_and_record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            if scope["path"] != "/health" and self._settings.latency > 0:
                await asyncio.sleep(self._settings.latency)
            if scope["path"] != "/health" and random.random() < self._settings.error_rate:
                response = JSONResponse({"error": "injected fault (FAULT_ERROR_RATE)"}, status_code=500)
                await response(scope, receive, send_and_record)
            else:
                await self._app(scope, receive, send_and_record)
        finally:
            elapsed = round((time.perf_counter() - start) * 1000, 3)
            self._log(
                "error" if status >= 500 else "info",
                "request",
                method=scope["method"],
                path=scope["path"],
                status=status,
                response_time_ms=elapsed,
            )


class DependencyHealth(Protocol):
    """What ``/health`` asks of another service the service calls (``dependency.Dependency``)."""

    name: str
    required: bool

    async def healthy(self) -> bool: ...

    async def aclose(self) -> None: ...


DatabaseCheck = Callable[[], Awaitable[bool]]


def create_service_app(
    settings: Settings,
    routes: Sequence[BaseRoute],
    *,
    log: JsonLog,
    dependencies: Sequence[DependencyHealth] = (),
    database: DatabaseCheck | None = None,
    extra_health: Callable[[], Mapping[str, Any]] | None = None,
    on_shutdown: Sequence[Callable[[], Awaitable[None]]] = (),
) -> ASGIApp:
    """A Starlette app with ``routes``, ``/health``, request logging and the fault switches."""

    async def health(request: Request) -> Response:
        problems: list[str] = []
        if (
            settings.fail_health_after is not None
            and time.monotonic() - settings.started >= settings.fail_health_after
        ):
            problems.append("fault: FAULT_FAIL_HEALTH_AFTER")
        database_state = "none"
        if database is not None:
            database_state = "ok" if await database() else "down"
            if database_state == "down":
                problems.append("database unreachable")
        checks = dict(
            zip(
                [dep.name for dep in dependencies],
                await asyncio.gather(*(dep.healthy() for dep in dependencies)),
                strict=True,
            )
        )
        problems += [f"{dep.name} is down" for dep in dependencies if dep.required and not checks[dep.name]]
        body = {
            "status": "unhealthy" if problems else "ok",
            "version": settings.version,
            "database": database_state,
            "timestamp": now_iso(),
            "instance": settings.instance,
            "secret_versions": dict(settings.secret_versions),
            "dependencies": {name: "ok" if ok else "down" for name, ok in checks.items()},
            **(extra_health() if extra_health else {}),
        }
        if problems:
            body["problems"] = problems
        return JSONResponse(body, status_code=503 if problems else 200)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        for dep in dependencies:
            await dep.aclose()
        for hook in on_shutdown:
            await hook()

    app = Starlette(routes=[Route("/health", health), *routes], lifespan=lifespan)
    return RequestLogAndFaults(app, settings, log)


def _burn_cpu() -> None:
    while True:
        sum(i * i for i in range(10_000))


MEMORY_GROWTH_CAP_MB = 256
"""Where a leak stops growing: enough to show, not enough to hurt the machine."""


def _leak_memory(megabytes_per_second: int) -> None:
    kept: list[bytes] = []
    while len(kept) < MEMORY_GROWTH_CAP_MB:
        for _ in range(min(megabytes_per_second, MEMORY_GROWTH_CAP_MB - len(kept))):
            kept.append(os.urandom(1) * 1_048_576)  # written pages: resident, not just reserved
        time.sleep(1)
    threading.Event().wait()  # keep it all until the process ends


def serve(app: ASGIApp, settings: Settings, log: JsonLog) -> None:
    """Apply start-up faults, then serve ``app`` on 127.0.0.1:$PORT until SIGTERM."""
    handler = _LogHandler(log)
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(logging.INFO)
        logger.propagate = False
    for _ in range(settings.cpu_burn):
        threading.Thread(target=_burn_cpu, daemon=True, name="fault-cpu-burn").start()
    if settings.memory_growth_mb > 0:
        args = (settings.memory_growth_mb,)
        threading.Thread(target=_leak_memory, args=args, daemon=True, name="fault-memory-growth").start()
    if settings.slow_start > 0:
        log("warning", "slow start (FAULT_SLOW_START)", seconds=settings.slow_start)
        time.sleep(settings.slow_start)
    for name, value in settings.logged_env:
        log("warning", f"configuration {name}={value}", setting=name, value=value)
    log("info", "starting", port=settings.port)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=30,
    )
    QuietServer(config).run()


class QuietServer(uvicorn.Server):
    """uvicorn's server, its main loop awake once a second (the Date header's resolution) or at
    once on SIGTERM/SIGINT, instead of every 100 ms: ten wake-ups a second were most of an idle
    instance's CPU (about 0.002 of a core each)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None

    async def main_loop(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 1.0)
            self._wake.clear()
            counter = (counter + 10) % 864000  # on_tick refreshes the Date header on multiples of 10
            should_exit = await self.on_tick(counter)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        if self._loop is not None and self._wake is not None:
            self._loop.call_soon_threadsafe(self._wake.set)  # queue the wake-up: safe in a handler
