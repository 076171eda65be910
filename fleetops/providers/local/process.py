"""One supervised OS process: started in its own process group, output captured as JSON lines.

Every line a process writes becomes one JSON object in its log file: a line that already is a
JSON object is kept (with ``timestamp``/``stream`` and the instance's fields added when absent);
any other line is wrapped as ``{"timestamp", "level", "msg", "stream", ...}``. Stopping sends
SIGTERM to the whole group, then SIGKILL after a grace period, so children die too. A pid file
(pid and kernel start time) lets a later run find and stop a process an earlier run left behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from fleetops.private_files import private_file
from fleetops.providers.base import ProcessUsage

# Rewrites a captured record; returning None drops the line.
Transform = Callable[[dict[str, Any]], dict[str, Any] | None]
_DRAIN_OUTPUT_SECONDS = 10.0


def free_loopback_port() -> int:
    """A TCP port on 127.0.0.1 that is free now (bound to port 0, read back, released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def port_free(port: int) -> bool:
    """Whether a listener could bind 127.0.0.1:``port`` now (with SO_REUSEADDR, as HAProxy
    binds: connections of a stopped listener left in TIME_WAIT do not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def read_ports(path: Path) -> dict[str, int]:
    """Service -> port written by :func:`write_ports`; empty when missing or unreadable."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and type(v) is int and 0 < v < 65536}


def write_ports(path: Path, ports: Mapping[str, int]) -> None:
    """Keep ``ports`` in ``path`` (written whole, then moved into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pending = path.with_name(f".{path.name}.{os.getpid()}")
    pending.write_text(json.dumps(dict(ports), indent=2, sort_keys=True) + "\n")
    os.replace(pending, path)


def utc_now_iso() -> str:
    """Now, ISO 8601 in UTC with milliseconds."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonLinesFile:
    """An append-only JSON-lines file shared by the threads that capture one process's streams."""

    def __init__(self, path: Path) -> None:
        self.path = path
        # An instance may print a secret: its log is for its owner's eyes only.
        self._file = private_file(path).open("a", encoding="utf-8")
        self._lock = threading.Lock()

    def write(self, record: Mapping[str, Any]) -> None:
        """Append one record as a line."""
        line = json.dumps(record, default=str, ensure_ascii=False)
        with self._lock:
            if not self._file.closed:
                self._file.write(line + "\n")
                self._file.flush()

    def close(self) -> None:
        """Close the file; later writes are dropped."""
        with self._lock:
            self._file.close()


def to_record(line: str, *, stream: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON record for one output line (see the module docstring)."""
    text = line.rstrip("\r\n")
    parsed: Any = None
    if text.startswith("{"):
        with contextlib.suppress(ValueError):
            parsed = json.loads(text)
    if isinstance(parsed, dict):
        record = {"timestamp": utc_now_iso(), **parsed}
        record.setdefault("stream", stream)
        for key, value in fields.items():
            record.setdefault(key, value)
        return record
    level = "error" if stream == "stderr" else "info"
    return {"timestamp": utc_now_iso(), "level": level, "msg": text, "stream": stream, **fields}


def capture(
    pipe: IO[bytes],
    sink: JsonLinesFile,
    *,
    stream: str,
    fields: Mapping[str, Any],
    transform: Transform | None = None,
) -> threading.Thread:
    """Start a daemon thread copying ``pipe`` into ``sink`` as JSON records until EOF."""

    def pump() -> None:
        with pipe:
            for raw in pipe:
                record: dict[str, Any] | None = to_record(
                    raw.decode("utf-8", "replace"), stream=stream, fields=fields
                )
                if transform is not None and record is not None:
                    record = transform(record)
                if record is not None:
                    sink.write(record)

    thread = threading.Thread(target=pump, name=f"capture-{stream}", daemon=True)
    thread.start()
    return thread


def process_start_time(pid: int) -> int | None:
    """The kernel start time of ``pid`` (clock ticks since boot), None if it does not exist."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its closing one.
    return int(stat.rsplit(")", 1)[1].split()[19])


def process_usage(pid: int) -> ProcessUsage | None:
    """CPU time, resident memory and thread count of ``pid``; None if it does not exist."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    # After the command name: state is field 3, utime 14, stime 15, num_threads 20, rss 24.
    return ProcessUsage(
        cpu_seconds=(int(fields[11]) + int(fields[12])) / ticks,
        rss_bytes=int(fields[21]) * os.sysconf("SC_PAGE_SIZE"),
        threads=int(fields[17]),
    )


def process_alive(pid: int) -> bool:
    """Whether ``pid`` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def group_alive(pgid: int) -> bool:
    """Whether any live (non-zombie) process belongs to process group ``pgid``."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            return True
    return False


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


class ManagedProcess:
    """A started process with captured output; ``stop`` ends it and everything it started."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        cwd: Path,
        env: Mapping[str, str],
        log: JsonLinesFile,
        fields: Mapping[str, Any],
        pid_file: Path | None = None,
        stdout_transform: Transform | None = None,
        stderr_transform: Transform | None = None,
        stdout_log: JsonLinesFile | None = None,
    ) -> None:
        self.argv = list(argv)
        self.log = log
        self.stdout_log = stdout_log or log
        self.pid_file = pid_file
        self._popen = subprocess.Popen(
            self.argv,
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        self.pid = self._popen.pid
        if pid_file is not None:
            pid_file.parent.mkdir(parents=True, exist_ok=True)
            pid_file.write_text(f"{self.pid} {process_start_time(self.pid) or 0}\n")
        assert self._popen.stdout is not None and self._popen.stderr is not None
        self._threads = [
            capture(
                self._popen.stdout,
                stdout_log or log,
                stream="stdout",
                fields=fields,
                transform=stdout_transform,
            ),
            capture(self._popen.stderr, log, stream="stderr", fields=fields, transform=stderr_transform),
        ]
        self._stop_lock = threading.Lock()

    def close_logs(self) -> None:
        """Close the log files (after the process has ended)."""
        self.log.close()
        self.stdout_log.close()

    def poll(self) -> int | None:
        """The exit status if the process has ended (negative: killed by that signal), else None."""
        return self._popen.poll()

    def stop(self, grace: float) -> int:
        """SIGTERM the process group, SIGKILL it after ``grace`` seconds; return the exit status."""
        with self._stop_lock:
            if self._popen.poll() is None:
                _signal_group(self.pid, signal.SIGTERM)
                try:
                    self._popen.wait(timeout=grace)
                except subprocess.TimeoutExpired:
                    _signal_group(self.pid, signal.SIGKILL)
                    self._popen.wait()
            self._reap_group()
            return self._popen.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the process to exit on its own (TimeoutExpired after ``timeout``)."""
        code = self._popen.wait(timeout=timeout)
        self._reap_group()
        return code

    def _reap_group(self) -> None:
        # The leader is gone; anything left in its group (forked workers) goes with it.
        _signal_group(self.pid, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while group_alive(self.pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        # The pipes are at EOF now, unless something that left the group holds them: wait for
        # the last lines to be written (seconds, on a loaded machine), but not forever.
        for thread in self._threads:
            thread.join(timeout=_DRAIN_OUTPUT_SECONDS)
        self.close_logs()
        if self.pid_file is not None:
            self.pid_file.unlink(missing_ok=True)


def wait_gone(pids: Sequence[int], *, timeout: float) -> None:
    """Wait until none of ``pids`` (process groups SIGKILLed) has a live process, or ``timeout``."""
    deadline = time.monotonic() + timeout
    while any(group_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.02)


def kill_leftovers(pid_dir: Path) -> list[int]:
    """SIGKILL the process groups named by pid files in ``pid_dir`` that still run; return them.

    A pid file holds ``<pid> <start time>``; a process is only killed if its start time matches,
    so a pid reused by an unrelated process is left alone.
    """
    killed: list[int] = []
    if not pid_dir.is_dir():
        return killed
    for pid_file in pid_dir.glob("*.pid"):
        try:
            pid_text, start_text = pid_file.read_text().split()
            pid, start = int(pid_text), int(start_text)
        except (OSError, ValueError):
            pid_file.unlink(missing_ok=True)
            continue
        if process_start_time(pid) == start and process_alive(pid):
            _signal_group(pid, signal.SIGKILL)
            killed.append(pid)
        pid_file.unlink(missing_ok=True)
    return killed
