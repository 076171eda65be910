"""Which process listens on a TCP port: so a port fleetops cannot bind is refused naming its holder.

Linux only, from ``/proc``: the listening sockets of ``/proc/net/tcp`` and ``tcp6`` give the
socket's inode, and the ``socket:[inode]`` link among a process's ``/proc/PID/fd`` gives the
process. Processes of other users cannot be looked into without privileges: then, and where
``/proc`` is missing, the holder is unknown (None), never guessed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_LISTEN = "0A"
PROC = Path("/proc")


@dataclass(frozen=True)
class PortHolder:
    """A process listening on a port: its id and command line."""

    pid: int
    command: str

    def describe(self) -> str:
        """``pid 1234 (haproxy -db -f /x/haproxy.cfg)``."""
        return f"pid {self.pid} ({self.command})" if self.command else f"pid {self.pid}"


def listening_inodes(port: int, proc: Path = PROC) -> set[str]:
    """The inodes of the TCP sockets listening on ``port`` (any address, IPv4 or IPv6)."""
    inodes: set[str] = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = (proc / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) < 10 or fields[3] != _LISTEN:
                continue
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[9] != "0":
                inodes.add(fields[9])
    return inodes


def port_holders(port: int, proc: Path = PROC) -> list[PortHolder]:
    """Every process this user can see listening on ``port``, by pid."""
    inodes = listening_inodes(port, proc)
    if not inodes:
        return []
    wanted = {f"socket:[{inode}]" for inode in inodes}
    found: list[PortHolder] = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        if _links(entry / "fd") & wanted:
            found.append(PortHolder(int(entry.name), _command(entry)))
    return sorted(found, key=lambda holder: holder.pid)


def _links(fds: Path) -> set[str]:
    try:
        entries = list(fds.iterdir())
    except OSError:  # gone meanwhile, or another user's
        return set()
    links: set[str] = set()
    for fd in entries:
        try:
            links.add(os.readlink(fd))
        except OSError:  # closed meanwhile (the listing's own descriptor is one)
            continue
    return links


def _command(entry: Path) -> str:
    try:
        raw = (entry / "cmdline").read_bytes()
    except OSError:
        return ""
    return " ".join(part.decode(errors="replace") for part in raw.split(b"\0") if part)


def describe_holders(port: int) -> str:
    """``held by pid 1234 (haproxy -db -f …)``, or ``held by a process this user cannot see``."""
    holders = port_holders(port)
    if not holders:
        return "held by a process this user cannot see"
    return "held by " + ", ".join(holder.describe() for holder in holders)
