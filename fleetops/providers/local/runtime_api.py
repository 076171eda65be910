"""A typed client for HAProxy's runtime API (the admin stats socket).

Every change to the load balancer goes through here; HAProxy is never reloaded. Verified with
HAProxy 2.6: a dynamic server is added in maintenance; `enable health` starts its checks;
`set server … health down` has no effect while in maintenance, so a new server is made ready and
forced down in one command line: it then takes traffic only after `rise` passing checks.
"""

from __future__ import annotations

import csv
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from fleetops.errors import FleetopsError

# `del server` is refused while the server still holds connections; they close within a check
# interval or two once the server is in maintenance.
_DELETE_ATTEMPTS = 50
_DELETE_PAUSE = 0.1


class RuntimeApiError(FleetopsError):
    """HAProxy refused a runtime API command."""


@dataclass(frozen=True)
class StatRow:
    """One row of `show stat` for a server (the columns fleetops reads)."""

    backend: str
    server: str
    status: str
    current_sessions: int
    total_sessions: int
    requests_total: int
    hrsp_1xx: int
    hrsp_2xx: int
    hrsp_3xx: int
    hrsp_4xx: int
    hrsp_5xx: int
    hrsp_other: int
    connection_errors: int
    response_errors: int
    retries: int
    redispatches: int
    avg_response_time_ms: int
    avg_total_time_ms: int
    check_status: str
    check_code: int | None
    check_duration_ms: int | None
    check_health: int | None
    check_rise: int | None
    check_fall: int | None
    last_change_s: int
    address: str
    check_running: bool = False
    """A check is under way: ``check_status`` is the last result's, ``check_code`` unknown."""


def _int(value: str) -> int:
    return int(value) if value else 0


def _opt_int(value: str) -> int | None:
    return int(value) if value else None


def parse_show_stat(text: str) -> list[StatRow]:
    """Server rows of `show stat` output (CSV with a `# ` header); FRONTEND/BACKEND rows skipped."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines or not lines[0].startswith("# "):
        raise RuntimeApiError(f"unexpected `show stat` output: {text[:200]!r}")
    rows: list[StatRow] = []
    for rec in csv.DictReader([lines[0][2:], *lines[1:]]):
        if rec["svname"] in ("FRONTEND", "BACKEND"):
            continue
        rows.append(
            StatRow(
                backend=rec["pxname"],
                server=rec["svname"],
                status=rec["status"],
                current_sessions=_int(rec["scur"]),
                total_sessions=_int(rec["stot"]),
                requests_total=_int(rec.get("req_tot", "")),
                hrsp_1xx=_int(rec["hrsp_1xx"]),
                hrsp_2xx=_int(rec["hrsp_2xx"]),
                hrsp_3xx=_int(rec["hrsp_3xx"]),
                hrsp_4xx=_int(rec["hrsp_4xx"]),
                hrsp_5xx=_int(rec["hrsp_5xx"]),
                hrsp_other=_int(rec["hrsp_other"]),
                connection_errors=_int(rec["econ"]),
                response_errors=_int(rec["eresp"]),
                retries=_int(rec["wretr"]),
                redispatches=_int(rec["wredis"]),
                avg_response_time_ms=_int(rec["rtime"]),
                avg_total_time_ms=_int(rec["ttime"]),
                # A check under way is shown as "* <last result>", with the code HAProxy reset
                # to 0 when the check started (not the last result's: "L7STS 0" after a 503).
                check_status=rec["check_status"].removeprefix("* "),
                check_code=None if rec["check_status"].startswith("* ") else _opt_int(rec["check_code"]),
                check_duration_ms=_opt_int(rec["check_duration"]),
                check_health=_opt_int(rec.get("check_health", "")),
                check_rise=_opt_int(rec.get("check_rise", "")),
                check_fall=_opt_int(rec.get("check_fall", "")),
                last_change_s=_int(rec["lastchg"]),
                address=rec.get("addr", ""),
                check_running=rec["check_status"].startswith("* "),
            )
        )
    return rows


class RuntimeApi:
    """Commands on HAProxy's admin socket; one connection per command (HAProxy's default)."""

    def __init__(self, socket_path: Path, *, timeout: float = 5.0) -> None:
        self.socket_path = socket_path
        self.timeout = timeout

    def execute(self, command: str) -> str:
        """Send one command line and return HAProxy's answer."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(self.timeout)
            sock.connect(str(self.socket_path))
            sock.sendall(command.encode() + b"\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def _expect_silent(self, command: str) -> None:
        answer = self.execute(command).strip()
        if answer:
            raise RuntimeApiError(f"HAProxy refused {command!r}: {answer}")

    def add_server(
        self,
        backend: str,
        server: str,
        address: str,
        port: int,
        *,
        inter_ms: int,
        rise: int,
        fall: int,
        healthy: bool = False,
    ) -> None:
        """Add a server with active checks; it takes traffic only after ``rise`` passing checks,
        or at once if ``healthy`` (putting back a server known to be healthy)."""
        name = f"{backend}/{server}"
        answer = self.execute(
            f"add server {name} {address}:{port} check inter {inter_ms} rise {rise} fall {fall}"
        )
        if "New server registered" not in answer:
            raise RuntimeApiError(f"HAProxy refused to add server {name}: {answer.strip()}")
        self._expect_silent(f"enable health {name}")
        if healthy:
            self._expect_silent(f"set server {name} state ready")
        else:
            # Both in one line, so no request is routed between "ready" and "down".
            self._expect_silent(f"set server {name} state ready; set server {name} health down")

    def set_state(self, backend: str, server: str, state: str) -> None:
        """`set server <b>/<s> state ready|drain|maint`."""
        if state not in ("ready", "drain", "maint"):
            raise ValueError(f"state {state!r} is not one of ready, drain, maint")
        self._expect_silent(f"set server {backend}/{server} state {state}")

    def delete_server(self, backend: str, server: str) -> None:
        """Put the server in maintenance and delete it, waiting for its connections to close."""
        name = f"{backend}/{server}"
        answer = self.execute(f"set server {name} state maint").strip()
        if "No such server" in answer:
            return
        if answer:
            raise RuntimeApiError(f"HAProxy refused to put {name} in maintenance: {answer}")
        for _ in range(_DELETE_ATTEMPTS):
            answer = self.execute(f"del server {name}").strip()
            if answer.startswith("Server deleted") or "No such server" in answer:
                return
            self.execute(f"shutdown sessions server {name}")
            time.sleep(_DELETE_PAUSE)
        raise RuntimeApiError(f"HAProxy refused to delete server {name}: {answer}")

    def show_stat(self) -> list[StatRow]:
        """Server rows of `show stat`."""
        # Every proxy (-1), servers only (type 4), every server (-1): the supervisor asks five
        # times a second, and the frontend and backend rows it would skip were half the text.
        return parse_show_stat(self.execute("show stat -1 4 -1"))
