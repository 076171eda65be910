"""The security audit of one environment: reads tokens, the fleet file, the state folder's file
modes, the server's listening address, the instances' listening sockets (Linux ``/proc/net``),
the secrets' last rotation and the audit log's ids into ``ops.security``'s inputs, and runs
every check (on the server's event loop, per request).
"""

from __future__ import annotations

import stat
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from fleetops.ops.security import (
    FileSeen,
    Listener,
    SecretSeen,
    SecurityAudit,
    TokenSeen,
    check_admin_tokens,
    check_audit_log,
    check_control_plane,
    check_exposed,
    check_fleet_values,
    check_rotation,
    check_state_files,
    check_tokens,
)
from fleetops.runbooks.ports import FleetControl
from fleetops.store import Store
from fleetops.store.secrets import AWSCURRENT

SENSITIVE = frozenset({"token", "secrets.key"})
"""State files that give access (the admin token, the key of the secrets store)."""
PROC_NET = (Path("/proc/net/tcp"), Path("/proc/net/tcp6"))
LISTEN = "0A"


def state_files(state_dir: Path) -> list[FileSeen]:
    """The regular files of the state folder and of each environment's folder, with their modes."""
    folders = [state_dir, *sorted(p for p in (state_dir / "envs").glob("*") if p.is_dir())]
    seen = []
    for folder in folders:
        for path in sorted(folder.iterdir()) if folder.is_dir() else []:
            info = path.lstat()
            if stat.S_ISREG(info.st_mode):
                seen.append(FileSeen(str(path), stat.S_IMODE(info.st_mode), path.name in SENSITIVE))
    return seen


def _address(hex_address: str) -> str:
    """``0100007F:1F90`` -> ``127.0.0.1:8080`` (IPv4 or IPv6 as /proc/net writes them)."""
    host, port = hex_address.split(":")
    raw = bytes.fromhex(host)
    # Each 32-bit word is in host (little-endian) order.
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    if len(words) == 4:
        return f"{'.'.join(str(b) for b in words)}:{int(port, 16)}"
    groups = [words[i : i + 2].hex() for i in range(0, 16, 2)]
    text = ":".join(g.lstrip("0") or "0" for g in groups)
    return f"[{'::' if text == '0:0:0:0:0:0:0:0' else text}]:{int(port, 16)}"


def listening(tables: Iterable[Path] = PROC_NET) -> dict[int, list[str]]:
    """Port -> the addresses something listens on at that port (empty where /proc/net is absent)."""
    found: dict[int, list[str]] = {}
    for table in tables:
        try:
            lines = table.read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 3 and fields[3] == LISTEN:
                address = _address(fields[1])
                found.setdefault(int(address.rsplit(":", 1)[1]), []).append(address)
    return found


def listeners(runtime: FleetControl, sockets: dict[int, list[str]]) -> list[Listener]:
    """The listening addresses of each instance's port."""
    return [
        Listener(service.name, instance.id, address)
        for service in runtime.services_status().services
        for instance in service.instances
        for address in sockets.get(instance.port, [])
    ]


def secrets_seen(runtime: FleetControl, store: Store) -> list[SecretSeen]:
    """Each secret with a rotation schedule, and when its current value was made."""
    seen = []
    for name, secret in sorted(runtime.fleet.secrets.items()):
        if secret.rotation is None:
            continue
        current = store.secrets.stage_version(runtime.environment, name, AWSCURRENT)
        made = [
            v.created_at for v in store.secrets.versions(runtime.environment, name) if v.version_id == current
        ]
        seen.append(SecretSeen(name, secret.rotation.every, made[0] if made else None))
    return seen


def security_audit(
    runtime: FleetControl,
    store: Store,
    *,
    state_dir: Path,
    host: str,
    fleet_file: str,
    now: datetime,
    sockets: dict[int, list[str]] | None = None,
) -> SecurityAudit:
    """Every check on ``runtime``'s environment and this server; ``sockets`` defaults to /proc/net's."""
    tokens = [
        TokenSeen(t.name, t.role, t.created_at, t.last_used_at, t.expires_at) for t in store.tokens.list()
    ]
    skipped = []
    sockets = listening() if sockets is None else sockets
    if not sockets:
        skipped.append("exposed-services: no /proc/net/tcp here to read the instances' sockets from")
    findings = [
        *check_tokens(tokens, now=now),
        *check_admin_tokens(tokens, now=now),
        *check_fleet_values(runtime.fleet, fleet_file),
        *check_rotation(secrets_seen(runtime, store), now=now),
        *check_state_files(state_files(state_dir)),
        # fleetops serves plain HTTP itself (no TLS option): beyond loopback it needs a proxy.
        *check_control_plane(host, tls=False),
        *check_exposed(listeners(runtime, sockets)),
        *check_audit_log(*store.audit.id_span()),
    ]
    return SecurityAudit.of(runtime.environment, findings, skipped)
