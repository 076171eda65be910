"""A private, throw-away PostgreSQL cluster for tests: ``initdb`` + ``pg_ctl`` in a temp dir.

    with postgres_cluster() as cluster:
        url = cluster.create_database()      # a fresh, empty database; its SQLAlchemy URL
        copy = cluster.create_database(template="migrated")   # a copy of the database "migrated"
        ...
        cluster.drop_database(url)

The server listens on a free loopback port with its unix socket in the temp dir, runs with
durability off (tests do not need it, and it is several times faster), and is stopped and
removed on exit. ``initdb`` refuses to run as root, so as root every PostgreSQL binary runs as
the ``postgres`` user (``runuser -u postgres --``), which then owns the temp dir.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL, make_url

from fleetops.providers.local.pg_server import PG_BIN_ENV, PostgresUnavailable, find_pg_bin_dir

SUPERUSER = "postgres"
__all__ = ["PG_BIN_ENV", "PostgresCluster", "PostgresUnavailable", "find_pg_bin_dir", "postgres_cluster"]


@dataclass(frozen=True)
class PostgresCluster:
    """A running private cluster; ``postgres`` is its superuser, trusted on loopback without password."""

    bin_dir: Path
    data_dir: Path
    socket_dir: Path
    host: str
    port: int

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL (psycopg 3 driver) of ``database`` on this cluster."""
        return URL.create(
            "postgresql+psycopg", username=SUPERUSER, host=self.host, port=self.port, database=database
        ).render_as_string(hide_password=False)

    def create_database(self, name: str | None = None, *, template: str = "template0") -> str:
        """Create a new database (named ``name`` or a fresh unique name), empty or a copy of the
        database ``template`` (which nobody may be connected to); returns its URL."""
        name = name or f"test_{uuid.uuid4().hex[:16]}"
        with self._admin_connection() as conn:
            create = sql.SQL("CREATE DATABASE {} TEMPLATE {}")
            conn.execute(create.format(sql.Identifier(name), sql.Identifier(template)))
        return self.url(name)

    def drop_database(self, name_or_url: str) -> None:
        """Drop a database, disconnecting whoever is still connected to it."""
        name = make_url(name_or_url).database if "://" in name_or_url else name_or_url
        with self._admin_connection() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name or ""))
            )

    def _admin_connection(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            host=self.host, port=self.port, user=SUPERUSER, dbname="postgres", autocommit=True
        )


@contextmanager
def postgres_cluster(bin_dir: Path | None = None) -> Iterator[PostgresCluster]:
    """Start a private cluster in a temp dir, yield it, then stop it and delete its files."""
    bin_dir = bin_dir or find_pg_bin_dir()
    run_as = SUPERUSER if os.geteuid() == 0 else None
    root = Path(tempfile.mkdtemp(prefix="fleetops-pg-"))
    try:
        if run_as is not None:
            owner = pwd.getpwnam(run_as)
            os.chown(root, owner.pw_uid, owner.pw_gid)
        data_dir, socket_dir = root / "data", root
        _run(
            run_as,
            bin_dir / "initdb",
            "-D", str(data_dir), "-U", SUPERUSER, "-A", "trust", "-E", "UTF8", "--locale=C",
            "--no-sync", "--no-instructions",
        )  # fmt: skip
        cluster = _start(run_as, bin_dir, data_dir, socket_dir, root / "server.log")
        try:
            yield cluster
        finally:
            _run(run_as, bin_dir / "pg_ctl", "-D", str(data_dir), "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _start(run_as: str | None, bin_dir: Path, data_dir: Path, socket_dir: Path, log: Path) -> PostgresCluster:
    host = "127.0.0.1"
    # A port found free can be taken before the server binds it; try a few.
    for _attempt in range(5):
        port = _free_port(host)
        options = (
            f"-p {port} -c listen_addresses={host} -k {socket_dir} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        result = _run(
            run_as,
            bin_dir / "pg_ctl", "-D", str(data_dir), "-l", str(log), "-o", options, "-w", "-t", "60", "start",
            check=False,
        )  # fmt: skip
        if result.returncode == 0:
            return PostgresCluster(bin_dir, data_dir, socket_dir, host, port)
    server_log = log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"
    raise PostgresUnavailable(f"the private PostgreSQL cluster did not start:\n{result.stderr}\n{server_log}")


def _run(run_as: str | None, *args: str | Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    command = [str(arg) for arg in args]
    if run_as is not None:
        command = ["runuser", "-u", run_as, "--", *command]
    result = subprocess.run(command, capture_output=True, text=True, check=False, cwd="/")
    if check and result.returncode != 0:
        raise PostgresUnavailable(
            f"{' '.join(command)} failed with exit code {result.returncode}:\n{result.stdout}{result.stderr}"
        )
    return result


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port
