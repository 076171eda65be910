"""``security_audit`` on the in-memory runtime, a SQLite store and a state folder in tmp_path:
what it reads (tokens, files, sockets, secrets' age, audit ids) becomes the findings."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fleetops.control.security_audit import listening, security_audit
from fleetops.spec.loader import load_fleet
from fleetops.store import Store
from fleetops.testing.fleet_runtime import InMemoryFleetRuntime
from fleetops.testing.local import EXAMPLES

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(None, tmp_path) as opened:
        yield opened


def _state(tmp_path: Path, mode: int) -> Path:
    state = tmp_path / "state"
    (state / "envs" / "dev").mkdir(parents=True)
    for path in (state / "token", state / "secrets.key", state / "envs" / "dev" / "ports.json"):
        path.write_text("x")
        os.chmod(path, mode)
    return state


def _kinds(found: dict[str, object]) -> list[tuple[str, str, str]]:
    return [(f["check"], f["severity"], f["subject"]) for f in found["findings"]]  # type: ignore[attr-defined, index]


def test_a_closed_setup_has_no_finding(store: Store, tmp_path: Path) -> None:
    store.tokens.add(name="ops", role="admin", token_sha256="a" * 64, created_by="t",
                     expires_at=NOW + timedelta(days=9), now=NOW - timedelta(days=2))  # fmt: skip
    store.tokens.mark_used("ops", now=NOW - timedelta(hours=1), resolution=timedelta(minutes=1))
    store.secrets.add_version("dev", "db-password", version_id="v1", ciphertext=b"c", source="put", by="t",
                              at=NOW - timedelta(days=3))  # fmt: skip
    runtime = InMemoryFleetRuntime(load_fleet(EXAMPLES / "fleet.yaml"), "dev")
    found = security_audit(
        runtime, store, state_dir=_state(tmp_path, 0o600), host="127.0.0.1", fleet_file="fleet.yaml", now=NOW,
        sockets={runtime.status().services[0].instances[0].port: ["127.0.0.1:1"]},
    )  # fmt: skip
    assert (found.findings, found.skipped) == ((), ())


def test_what_is_left_open_is_found(store: Store, tmp_path: Path) -> None:
    store.tokens.add(
        name="old", role="viewer", token_sha256="b" * 64, created_by="t", now=NOW - timedelta(days=9)
    )
    store.secrets.add_version("dev", "db-password", version_id="v1", ciphertext=b"c", source="put", by="t",
                              at=NOW - timedelta(days=31))  # fmt: skip
    for action in ("a", "b", "c"):
        store.audit.record(actor="t", action=action)
    with store.transaction() as session:
        session.execute(__import__("sqlalchemy").text("DELETE FROM audit_log WHERE action = 'b'"))
    runtime = InMemoryFleetRuntime(load_fleet(EXAMPLES / "fleet.yaml"), "dev")
    menu = next(s for s in runtime.status().services if s.name == "menu")
    port = menu.instances[0].port
    # The in-memory runtime's instances may share a port: each of them listens there.
    exposed = sorted(
        ("exposed-services", "high", f"{s.name}/{i.id}")
        for s in runtime.status().services
        for i in s.instances
        if i.port == port
    )
    found = security_audit(
        runtime, store, state_dir=_state(tmp_path, 0o644), host="0.0.0.0", fleet_file="fleet.yaml", now=NOW,
        sockets={port: [f"0.0.0.0:{port}"]},
    ).to_json()  # fmt: skip
    state = tmp_path / "state"
    assert _kinds(found) == [
        ("control-plane", "high", "0.0.0.0"),
        *exposed,
        ("file-modes", "high", str(state / "secrets.key")),
        ("file-modes", "high", str(state / "token")),
        ("secret-rotation", "high", "db-password"),
        ("audit-log", "medium", "audit_log"),
        ("file-modes", "medium", str(state / "envs" / "dev" / "ports.json")),
        ("tokens", "medium", "old"),
        ("tokens", "low", "old"),
    ]
    assert found["counts"] == {"high": 4 + len(exposed), "medium": 3, "low": 1}


def test_listening_sockets_are_read_from_proc_net(tmp_path: Path) -> None:
    tcp = tmp_path / "tcp"
    tcp.write_text(
        "  sl  local_address rem_address   st\n"
        "   0: 0100007F:1F90 00000000:0000 0A 0\n"  # 127.0.0.1:8080, listening
        "   1: 00000000:1F91 00000000:0000 0A 0\n"  # 0.0.0.0:8081, listening
        "   2: 0100007F:1F92 0100007F:D431 01 0\n"  # established: not a listener
    )
    tcp6 = tmp_path / "tcp6"
    tcp6.write_text("  sl  local_address\n   0: 00000000000000000000000000000000:1F91 0000:0000 0A 0\n")
    assert listening([tcp, tcp6, tmp_path / "absent"]) == {
        8080: ["127.0.0.1:8080"],
        8081: ["0.0.0.0:8081", "[::]:8081"],
    }
