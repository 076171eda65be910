"""One supervised OS process: started in its own process group, output converted to JSON lines.

Every line a process writes becomes one JSON object in its log file: a line that already is a
JSON object is kept (with ``timestamp``/``stream`` and the instance's fields added when absent);
any other line is wrapped as ``{"timestamp", "level", "msg", "stream", ...}``. Stopping sends
SIGTERM to the whole group, then SIGKILL after a grace period, so children die too. A pid file
(pid, kernel start time, command line) lets a later run adopt a process an earlier run left
running, or stop it; a pid the kernel has given to another process since is never taken for it.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from fleetops.private_files import private_file
from fleetops.providers.base import ProcessUsage
from fleetops.providers.local.output import OutputTail, open_raw_output, output_paths

# Rewrites a captured record; returning None drops the line.
Transform = Callable[[dict[str, Any]], dict[str, Any] | None]


EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
"""Where Linux says which ports it gives the local end of outgoing connections."""
LOWEST_PORT = 10_000
"""The lowest port handed out: below it sit the well-known and registered services' ports."""


def free_loopback_port() -> int:
    """A TCP port on 127.0.0.1 that is free now, below the kernel's ephemeral range.

    A port handed out here is kept: a datastore, an instance or HAProxy binds it again after each
    restart. Between a stop and the next start, a port of the ephemeral range can be taken as the
    local end of any outgoing connection, and the restart then fails (seen: a Redis restored in
    place could not bind its own port 70 ms after the old server had exited). Ports under that
    range are only ever bound on request. Where the range leaves too little room under it, the
    kernel chooses (bound to port 0, read back, released)."""
    low = _ephemeral_low()
    if low - LOWEST_PORT >= 1_000:
        for _ in range(64):
            port = random.randrange(LOWEST_PORT, low)
            if _bindable(port):
                return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        chosen: int = sock.getsockname()[1]
        return chosen


def _ephemeral_low() -> int:
    try:
        return int(EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32_768  # Linux's default range starts there


def _bindable(port: int) -> bool:
    # Without SO_REUSEADDR, unlike port_free: a port still in TIME_WAIT is not handed out to a
    # server that may bind without it.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


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
        open_sockets=_open_sockets(pid),
    )


def _open_sockets(pid: int) -> int | None:
    # Each open socket is an fd linking to "socket:[inode]": a few dozen readlinks per instance.
    folder = f"/proc/{pid}/fd"
    try:
        names = os.listdir(folder)
    except OSError:
        return None
    count = 0
    for name in names:
        with contextlib.suppress(OSError):
            if os.readlink(f"{folder}/{name}").startswith("socket:"):
                count += 1
    return count


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


def process_argv(pid: int) -> list[str] | None:
    """The command line of ``pid`` as it was started; None if it does not exist."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return [part.decode("utf-8", "surrogateescape") for part in raw.split(b"\0")[:-1]]


@dataclass(frozen=True)
class PidRecord:
    """What a pid file says of the process it names.

    The first line is ``<pid> <start time>`` (what older pid files hold, all that stopping a
    leftover needs); the second, a JSON object with the command line and what the provider needs
    to adopt the process (``meta``). Older pid files have no second line: never adopted.
    """

    pid: int
    start: int
    argv: tuple[str, ...] | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)

    def running(self) -> bool:
        """Whether this very process still runs: same pid, same kernel start time, not a zombie
        (a pid the kernel gave to a new process since does not count)."""
        return process_start_time(self.pid) == self.start and process_alive(self.pid)

    def adoptable(self, argv: Sequence[str] | None = None) -> bool:
        """Whether it runs, with the command line recorded (and ``argv`` when given)."""
        if self.argv is None or not self.running():
            return False
        if argv is not None and tuple(argv) != self.argv:
            return False
        return process_argv(self.pid) == list(self.argv)


def write_pid_file(path: Path, record: PidRecord) -> None:
    """Write ``record`` (private: its meta may name an instance's environment)."""
    body = {"argv": list(record.argv or ()), "meta": dict(record.meta)}
    pending = path.with_name(f".{path.name}.tmp")
    private_file(pending).write_text(f"{record.pid} {record.start}\n{json.dumps(body, sort_keys=True)}\n")
    os.replace(pending, path)


def read_pid_file(path: Path) -> PidRecord | None:
    """The record in ``path``; None when missing or unreadable."""
    try:
        lines = path.read_text().splitlines()
        pid_text, start_text = lines[0].split()
        pid, start = int(pid_text), int(start_text)
    except (OSError, ValueError, IndexError):
        return None
    argv: tuple[str, ...] | None = None
    meta: dict[str, Any] = {}
    if len(lines) > 1:
        try:
            body = json.loads(lines[1])
        except ValueError:
            body = None
        if (
            isinstance(body, dict)
            and isinstance(body.get("argv"), list)
            and isinstance(body.get("meta"), dict)
        ):
            argv = tuple(str(part) for part in body["argv"])
            meta = body["meta"]
    return PidRecord(pid, start, argv, meta)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


ADOPTED_EXIT_UNKNOWN = 255
"""The exit status reported for an adopted process that ended by itself: only its parent (the
control plane that started it, now gone) could have read the real one."""


class ManagedProcess:
    """A started (or adopted) process whose output is converted into its log; ``stop`` ends it
    and everything it started.

    Its stdout and stderr go to raw files it appends to itself (``output.py``), never to pipes:
    it outlives the control plane that started it, and a later one adopts it (:meth:`adopt`).
    """

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
        meta: Mapping[str, Any] | None = None,
    ) -> None:
        """``meta`` is kept in the pid file for a later control plane that adopts the process."""
        self.argv = list(argv)
        paths = output_paths(log.path)
        # A new process starts new output: anything left from an earlier one is not its.
        for raw, position in paths.values():
            raw.unlink(missing_ok=True)
            position.unlink(missing_ok=True)
        with open_raw_output(paths["stdout"][0]) as out, open_raw_output(paths["stderr"][0]) as err:
            self._popen: subprocess.Popen[bytes] | None = subprocess.Popen(
                self.argv,
                cwd=cwd,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
        self.pid = self._popen.pid
        self.record = PidRecord(
            self.pid, process_start_time(self.pid) or 0, tuple(self.argv), dict(meta or {})
        )
        self._attach(
            log=log,
            stdout_log=stdout_log,
            fields=fields,
            pid_file=pid_file,
            stdout_transform=stdout_transform,
            stderr_transform=stderr_transform,
        )

    @classmethod
    def adopt(
        cls,
        record: PidRecord,
        *,
        log: JsonLinesFile,
        fields: Mapping[str, Any],
        pid_file: Path | None = None,
        stdout_transform: Transform | None = None,
        stderr_transform: Transform | None = None,
        stdout_log: JsonLinesFile | None = None,
    ) -> ManagedProcess:
        """Take over a process an earlier control plane started (``record.adoptable()`` checked
        by the caller): its output is converted from where the earlier one stopped."""
        process = cls.__new__(cls)
        process.argv = list(record.argv or ())
        process._popen = None
        process.pid = record.pid
        process.record = record
        process._attach(
            log=log,
            stdout_log=stdout_log,
            fields=fields,
            pid_file=pid_file,
            stdout_transform=stdout_transform,
            stderr_transform=stderr_transform,
        )
        return process

    def _attach(
        self,
        *,
        log: JsonLinesFile,
        stdout_log: JsonLinesFile | None,
        fields: Mapping[str, Any],
        pid_file: Path | None,
        stdout_transform: Transform | None,
        stderr_transform: Transform | None,
    ) -> None:
        self.log = log
        self.stdout_log = stdout_log or log
        self.pid_file = pid_file
        self._returncode: int | None = None
        if pid_file is not None:
            write_pid_file(pid_file, self.record)
        paths = output_paths(log.path)
        sinks = {"stdout": (self.stdout_log, stdout_transform), "stderr": (log, stderr_transform)}
        self._tails = []
        for stream, (raw, position) in paths.items():
            sink, transform = sinks[stream]
            self._tails.append(
                OutputTail(
                    raw,
                    position,
                    partial(to_record_with, stream=stream, fields=dict(fields), transform=transform),
                    sink.write,
                    name=f"{self.pid}-{stream}",
                )
            )
        self._stop_lock = threading.Lock()
        self._reaped = False

    @property
    def adopted(self) -> bool:
        """Whether an earlier control plane started it."""
        return self._popen is None

    def close_logs(self) -> None:
        """Close the log files (after the process has ended)."""
        self.log.close()
        self.stdout_log.close()

    def poll(self) -> int | None:
        """The exit status if the process has ended (negative: killed by that signal), else None."""
        if self._popen is not None:
            return self._popen.poll()
        if self._returncode is None and not self.record.running():
            self._returncode = ADOPTED_EXIT_UNKNOWN
        return self._returncode

    def _wait_adopted(self, timeout: float | None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(self.argv, timeout or 0.0)
            time.sleep(0.02)
        assert self._returncode is not None
        return self._returncode

    def stop(self, grace: float) -> int:
        """SIGTERM the process group, SIGKILL it after ``grace`` seconds; return the exit status."""
        with self._stop_lock:
            if self.poll() is None:
                _signal_group(self.pid, signal.SIGTERM)
                try:
                    self._wait(grace)
                    if self._popen is None:
                        self._returncode = -signal.SIGTERM
                except subprocess.TimeoutExpired:
                    _signal_group(self.pid, signal.SIGKILL)
                    self._wait(None)
                    if self._popen is None:
                        self._returncode = -signal.SIGKILL
            self._reap_group()
            code = self._popen.returncode if self._popen is not None else self._returncode
            assert code is not None
            return code

    def _wait(self, timeout: float | None) -> int:
        if self._popen is not None:
            return self._popen.wait(timeout=timeout)
        return self._wait_adopted(timeout)

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the process to exit on its own (TimeoutExpired after ``timeout``)."""
        code = self._wait(timeout)
        self._reap_group()
        return code

    def _reap_group(self) -> None:
        if self._reaped:
            return
        self._reaped = True
        # The leader is gone; anything left in its group (forked workers) goes with it.
        _signal_group(self.pid, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while group_alive(self.pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        # Its last lines are in the raw files: convert them, then the raw files go.
        for tail in self._tails:
            tail.finish(remove=True)
        self.close_logs()
        if self.pid_file is not None:
            self.pid_file.unlink(missing_ok=True)


def to_record_with(
    line: str, *, stream: str, fields: Mapping[str, Any], transform: Transform | None
) -> dict[str, Any] | None:
    """:func:`to_record`, then ``transform`` (which may drop it: None)."""
    record: dict[str, Any] | None = to_record(line, stream=stream, fields=fields)
    if transform is not None and record is not None:
        record = transform(record)
    return record


def wait_gone(pids: Sequence[int], *, timeout: float) -> None:
    """Wait until none of ``pids`` (process groups SIGKILLed) has a live process, or ``timeout``."""
    deadline = time.monotonic() + timeout
    while any(group_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.02)


def kill_group(pid: int) -> list[int]:
    """SIGKILL process group ``pid``; return it (for :func:`wait_gone`)."""
    _signal_group(pid, signal.SIGKILL)
    return [pid]


def kill_leftovers(pid_dir: Path, *, keep: Collection[Path] = ()) -> list[int]:
    """SIGKILL the process groups named by pid files in ``pid_dir`` that still run; return them.

    A pid file holds ``<pid> <start time>``; a process is only killed if its start time matches,
    so a pid reused by an unrelated process is left alone.
    """
    killed: list[int] = []
    if not pid_dir.is_dir():
        return killed
    for pid_file in pid_dir.glob("*.pid"):
        if pid_file in keep:  # adopted: this run's own now
            continue
        record = read_pid_file(pid_file)
        if record is not None and record.running():
            _signal_group(record.pid, signal.SIGKILL)
            killed.append(record.pid)
        pid_file.unlink(missing_ok=True)
    return killed
