"""Verify a backup by restoring it: checksum first, then a scratch server, then the counts.

``verify_backup`` never restores a file whose sha256 differs from the catalog's: a flipped byte
is reported as such. Otherwise the file is restored into a throw-away server on a free loopback
port in a temp folder (PostgreSQL: a fresh ``initdb`` cluster and ``pg_restore``; Redis:
``redis-server`` loading the RDB file; SQLite: a copy, ``PRAGMA integrity_check``), checked
(PostgreSQL: ``pg_amcheck`` of tables and indexes, where installed), its tables
and row counts (Redis: keys per database) are compared with those recorded at backup time, and
the scratch server is stopped and removed whatever happened.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from fleetops.errors import FleetopsError
from fleetops.ops.backups.take import pg_counts, redis_keyspace, sqlite_counts
from fleetops.providers.local.pg_server import SERVER_USER, PgServer, find_pg_bin_dir
from fleetops.providers.local.pg_template import new_cluster
from fleetops.providers.local.process import free_loopback_port
from fleetops.providers.local.redis_server import RedisServer

SCRATCH_USER = "fleetops"


@dataclass(frozen=True)
class Verification:
    """The outcome of one verification."""

    ok: bool
    detail: str
    """What was compared, or why it failed."""
    restore_ms: int
    """Time spent restoring into the scratch server (0 when nothing was restored)."""
    counts: dict[str, int]
    """What the scratch copy holds (empty when nothing was restored)."""


def sha256_of(path: Path) -> str:
    """The file's sha256, hex."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_backup(kind: str, path: Path, *, sha256: str, expected: Mapping[str, int]) -> Verification:
    """Check ``path`` against ``sha256``, restore it into a scratch ``kind`` server and compare
    its counts with ``expected``."""
    import psycopg

    if not path.is_file():
        return Verification(False, f"backup file {path} is missing: not restored", 0, {})
    actual_sha = sha256_of(path)
    if actual_sha != sha256:
        return Verification(
            False,
            f"checksum mismatch: the file's sha256 is {actual_sha}, the catalog's {sha256}; "
            "the file is damaged and was not restored",
            0,
            {},
        )
    started = time.monotonic()
    try:
        counts, checks = _restore_and_count(kind, path)
    except (FleetopsError, OSError, psycopg.Error, sqlite3.Error) as err:
        return Verification(False, f"restore failed: {err}", _ms(started), {})
    restore_ms = _ms(started)
    missing = sorted(set(expected) - set(counts))
    extra = sorted(set(counts) - set(expected))
    differ = sorted(t for t in set(expected) & set(counts) if expected[t] != counts[t])
    if missing or extra or differ:
        problems = [f"{t}: {counts[t]} rows restored, {expected[t]} at backup time" for t in differ]
        if missing:
            problems.insert(0, f"missing {', '.join(missing)}")
        if extra:
            problems.append(f"not at backup time: {', '.join(extra)}")
        return Verification(False, "restored copy differs: " + "; ".join(problems), restore_ms, counts)
    total = sum(counts.values())
    detail = "; ".join([f"restored {len(counts)} tables, {total} rows, as at backup time", *checks])
    return Verification(True, detail, restore_ms, counts)


def _restore_and_count(kind: str, path: Path) -> tuple[dict[str, int], list[str]]:
    """What the restored copy holds, and the checks it passed (besides its counts)."""
    if kind == "postgres":
        return _postgres(path)
    if kind == "redis":
        return _redis(path)
    if kind == "sqlite":
        return _sqlite(path)
    raise FleetopsError(f"verification of {kind} backups is not supported")


@contextmanager
def _scratch_folder(owner: str | None) -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="fleetops-verify-"))
    try:
        if owner is not None:
            entry = pwd.getpwnam(owner)
            os.chown(root, entry.pw_uid, entry.pw_gid)
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _postgres(path: Path) -> tuple[dict[str, int], list[str]]:
    import psycopg

    password = secrets.token_urlsafe(18)
    with _scratch_folder(SERVER_USER if os.geteuid() == 0 else None) as root:
        server = PgServer(bin_dir=find_pg_bin_dir(), folder=root / "server")
        new_cluster(server, user=SCRATCH_USER, password=password)
        port = free_loopback_port()
        # A scratch copy needs no durability: much faster on a loaded machine.
        server.start(port, extra_options="-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        try:
            result = subprocess.run(
                [
                    str(server.bin_dir / "pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
                    "-h", "127.0.0.1", "-p", str(port), "-U", SCRATCH_USER, "-d", "postgres", str(path),
                ],
                capture_output=True, text=True, check=False, cwd="/",
                env={"PATH": os.environ.get("PATH", ""), "PGPASSWORD": password},
            )  # fmt: skip
            if result.returncode != 0:
                raise FleetopsError(f"pg_restore failed: {result.stderr.strip()[-1000:]}")
            checked = _amcheck(server.bin_dir, port, password)
            url = f"postgresql://{SCRATCH_USER}:{password}@127.0.0.1:{port}/postgres"
            with psycopg.connect(url) as conn:
                return pg_counts(conn), [checked] if checked else []
        finally:
            server.stop()


def _amcheck(bin_dir: Path, port: int, password: str) -> str | None:
    """``pg_amcheck`` over the restored tables and their B-tree indexes, where it is installed
    (PostgreSQL 14+): corruption a row count cannot see (an index out of step with its table)."""
    amcheck = bin_dir / "pg_amcheck"
    if not amcheck.is_file():
        return None
    result = subprocess.run(
        [
            str(amcheck), "--install-missing", "--heapallindexed", "-h", "127.0.0.1", "-p", str(port),
            "-U", SCRATCH_USER, "-d", "postgres",
        ],
        capture_output=True, text=True, check=False, cwd="/",
        env={"PATH": os.environ.get("PATH", ""), "PGPASSWORD": password},
    )  # fmt: skip
    if result.returncode != 0:
        raise FleetopsError(f"pg_amcheck found corruption: {(result.stdout + result.stderr).strip()[-1000:]}")
    return "pg_amcheck found no corruption"


def _redis(path: Path) -> tuple[dict[str, int], list[str]]:
    with _scratch_folder(None) as root:
        server = RedisServer(folder=root / "server", password=secrets.token_urlsafe(18))
        server.folder.mkdir(mode=0o700)
        shutil.copyfile(path, server.rdb_file)
        port = free_loopback_port()
        server.start(port)
        try:
            return redis_keyspace(port, server.password), []
        finally:
            server.stop()


def _sqlite(path: Path) -> tuple[dict[str, int], list[str]]:
    with _scratch_folder(None) as root:
        copy = root / "restored.sqlite"
        shutil.copyfile(path, copy)
        with sqlite3.connect(copy) as conn:
            check = conn.execute("PRAGMA integrity_check").fetchone()
        conn.close()
        if check is None or check[0] != "ok":
            raise FleetopsError(f"integrity_check: {check[0] if check else 'no answer'}")
        return sqlite_counts(copy), ["integrity_check ok"]


def _ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
