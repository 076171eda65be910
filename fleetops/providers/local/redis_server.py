"""A private Redis server in a folder of its own, and the few commands fleetops sends it.

    server = RedisServer(folder=Path(".../cache"), password=pw)
    server.start(port)              # redis-server on 127.0.0.1:port, RDB file folder/dump.rdb
    redis_command(port, pw, "PING") # -> "PONG"
    server.stop()                   # SHUTDOWN SAVE: the data is on disk for the next start

Its settings (with the password) are in ``folder/redis.conf``, mode 0600, so the password is
never on a command line. The client is a minimal RESP speaker: fleetops needs PING, INFO,
DBSIZE, BGSAVE, LASTSAVE and SHUTDOWN, not a Redis library.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from fleetops.errors import FleetopsError
from fleetops.providers.local.process import process_alive

Reply = str | int | None | list["Reply"]


class RedisUnavailable(FleetopsError):
    """``redis-server`` is not installed, would not start, or did not answer."""


def find_redis_server() -> str:
    """The path of ``redis-server``; ``RedisUnavailable`` saying what to install."""
    found = shutil.which("redis-server")
    if found is None:
        raise RedisUnavailable(
            "redis-server not found on PATH: install it (Debian/Ubuntu: apt-get install redis-server; "
            "macOS: brew install redis)"
        )
    return found


def redis_command(
    port: int, password: str | None, *args: str, timeout: float = 2.0, user: str = "default"
) -> Reply:
    """Send one command (after AUTH as ``user`` when ``password``) to 127.0.0.1:``port``; its
    reply. ``RedisUnavailable`` on an error reply (a refused AUTH too) or no answer."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            reader = sock.makefile("rb")
            if password is not None:
                sock.sendall(_encode("AUTH", user, password))
                _read(reader)
            sock.sendall(_encode(*args))
            return _read(reader)
    except OSError as err:
        raise RedisUnavailable(f"Redis on port {port} did not answer {args[0]}: {err}") from err


def _encode(*args: str) -> bytes:
    parts = [f"*{len(args)}\r\n".encode()]
    for arg in args:
        data = arg.encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


def _read(reader: object) -> Reply:
    line: bytes = reader.readline()  # type: ignore[attr-defined]
    if not line:
        raise RedisUnavailable("Redis closed the connection")
    kind, rest = line[:1], line[1:-2].decode()
    if kind == b"+":
        return rest
    if kind == b"-":
        raise RedisUnavailable(f"Redis answered an error: {rest}")
    if kind == b":":
        return int(rest)
    if kind == b"$":
        size = int(rest)
        if size < 0:
            return None
        data: bytes = reader.read(size + 2)  # type: ignore[attr-defined]
        return data[:-2].decode(errors="replace")
    if kind == b"*":
        count = int(rest)
        return None if count < 0 else [_read(reader) for _ in range(count)]
    raise RedisUnavailable(f"Redis sent an unexpected reply: {line[:40]!r}")


@dataclass(frozen=True)
class RedisServer:
    """One server: config, RDB file, log and pid file in ``folder``."""

    folder: Path
    password: str

    @property
    def rdb_file(self) -> Path:
        """Where the server writes its snapshot (BGSAVE, shutdown)."""
        return self.folder / "dump.rdb"

    @property
    def pid_file(self) -> Path:
        """The pid of the running server."""
        return self.folder / "redis.pid"

    def start(self, port: int, *, timeout: float = 20.0) -> None:
        """Start on 127.0.0.1:``port`` (stopping one a crashed run left behind first) and wait
        until it answers PING."""
        binary = find_redis_server()
        self.stop()
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        config = self.folder / "redis.conf"
        fd = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(
                f"bind 127.0.0.1\nport {port}\nprotected-mode yes\ndaemonize yes\n"
                f'dir "{self.folder}"\ndbfilename dump.rdb\nsave 60 1\nappendonly no\n'
                f'logfile "{self.folder / "server.log"}"\npidfile "{self.pid_file}"\n'
                f'requirepass "{self.password}"\n'
            )
        # Daemonized: redis forks, writes its pid file and detaches from us (a server outlives
        # the command that started it, as pg_ctl's does).
        started = subprocess.run(
            [binary, str(config)], capture_output=True, text=True, check=False, cwd=self.folder
        )
        deadline = time.monotonic() + timeout
        while True:
            try:
                if redis_command(port, self.password, "PING") == "PONG":
                    return
            except RedisUnavailable:
                pass
            if started.returncode != 0 or time.monotonic() > deadline:
                self.stop()
                log = self.folder / "server.log"
                tail = log.read_text(errors="replace")[-1500:] if log.exists() else started.stderr
                raise RedisUnavailable(f"redis-server in {self.folder} did not start on port {port}:\n{tail}")
            time.sleep(0.05)

    def pid(self) -> int | None:
        """The pid of the server while it runs."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if process_alive(pid) else None

    def stop(self, *, timeout: float = 20.0) -> None:
        """SIGTERM (Redis saves its RDB file, then exits), SIGKILL after ``timeout``; waits until
        it is gone. Nothing when not running."""
        pid = self.pid()
        if pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while process_alive(pid):
            if time.monotonic() > deadline:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.05)
        self.pid_file.unlink(missing_ok=True)
