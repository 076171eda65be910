"""The fleet file's datastores as private servers of one environment on this machine.

Each datastore lives in ``<env state>/datastores/<name>/`` (0700): PostgreSQL (``initdb`` once,
``pg_ctl`` start/stop; ``fleetops.providers.local.pg_server``; its WAL archived into
``<env state>/backups/<name>/wal/``, ``fleetops.providers.local.pg_wal``), Redis (``redis-server`` with an
RDB file; ``fleetops.providers.local.redis_server``) or SQLite (``<name>.sqlite``). Servers listen
on 127.0.0.1 on a port chosen free when the environment is opened and kept in ``port`` (a
restarted control plane gives its services the same URLs while the port stays free). A
datastore the fleet file links to a secret (``password_secret``) logs in with that secret's
AWSCURRENT version (``logins``: user and password, from the secrets store; a rotation alternates
between two users, ``fleetops.providers.local.datastore_logins``); any other has a generated
password in ``password`` (0600, :func:`datastore_password`). MongoDB is refused with what to
install, or that the sandbox does not run it yet.

    orders = LocalDatastore("orders-db", "postgres", user="orders", database="orders")
    stores = LocalDatastores([orders], folder)
    stores.urls()     # {"orders-db": "postgresql://orders:...@127.0.0.1:PORT/orders"}
    stores.start(); stores.health(); stores.stop()

psycopg is imported by the functions that talk to PostgreSQL (here and in the backups, drills
and heartbeats that use a datastore), not with the module: every control plane imports these
modules, and one with no PostgreSQL datastore saves it 0.05 s of CPU at start.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from fleetops.errors import FleetopsError
from fleetops.private_files import private_folder
from fleetops.providers.local.pg_probe import PgProbe
from fleetops.providers.local.pg_server import PgServer, find_pg_bin_dir, server_owned_folder
from fleetops.providers.local.pg_template import new_cluster
from fleetops.providers.local.pg_wal import archiving
from fleetops.providers.local.process import free_loopback_port, port_free
from fleetops.providers.local.redis_server import RedisServer, RedisUnavailable, redis_command

KINDS = ("postgres", "redis", "sqlite", "mongodb")
SANDBOX_SETTINGS = {"shared_buffers": "32MB"}
"""A sandbox PostgreSQL holds little data: a quarter of the default cache. max_connections stays
100 (the example's orders connects once per request, and a drill's steady client adds its own);
durability stays PostgreSQL's (fsync on)."""


class DatastoreUnavailable(FleetopsError):
    """A datastore cannot run here (its server is not installed) or did not start."""


def datastore_password(folder: Path) -> str:
    """The datastore's password: generated on first use, kept in ``folder/password`` (0600)."""
    path = folder / "password"
    if path.exists():
        return path.read_text().strip()
    private_folder(folder)
    value = secrets.token_urlsafe(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value


@dataclass(frozen=True)
class Login:
    """A user and password a datastore accepts (Redis: ``default`` unless an ACL user)."""

    user: str
    password: str = field(repr=False)


LoginSource = Callable[[str], "tuple[str | None, str] | None"]
"""Datastore name -> ``(user, password)`` of its secret's AWSCURRENT version (user None: the
datastore's own); None for a datastore not linked to a secret."""


@dataclass(frozen=True)
class LocalDatastore:
    """One datastore as it runs here: ``user`` and ``database`` (PostgreSQL), ``db`` (Redis index)."""

    name: str
    kind: str
    user: str = "fleetops"
    database: str = "fleetops"
    db: int = 0
    password_secret: str | None = None
    """The secret holding its login (None: a generated password in its folder)."""


@dataclass(frozen=True)
class DatastoreHealth:
    """What ``fleetops status`` shows of a datastore."""

    name: str
    kind: str
    healthy: bool
    detail: str
    """``SELECT 1`` / ``PING`` answered, or why not."""
    port: int | None
    connections: int | None
    size_bytes: int | None


class LocalDatastores:
    """The datastores of one environment (see the module docstring). Not thread-safe on start and
    stop (the environment's start and stop are serialized); ``health`` may run any time."""

    def __init__(
        self,
        stores: Sequence[LocalDatastore],
        folder: Path,
        logins: LoginSource | None = None,
        previous_logins: LoginSource | None = None,
    ) -> None:
        """``folder``: the environment's ``datastores/`` folder; ``logins``: the current login
        of each datastore linked to a secret; ``previous_logins``: its AWSPREVIOUS one."""
        for store in stores:
            if store.kind not in KINDS:
                raise ValueError(f"datastore {store.name!r}: unknown kind {store.kind!r}")
        self.stores = {store.name: store for store in stores}
        self.folder = folder
        self._passwords: dict[str, str] = {}
        self._logins = logins or (lambda _name: None)
        self._previous_logins = previous_logins or (lambda _name: None)
        self.ports: dict[str, int] = {}
        for store in stores:
            if store.kind in ("postgres", "redis"):
                self.ports[store.name] = self._port(store.name)
        self._probes = {store.name: PgProbe() for store in stores if store.kind == "postgres"}

    def home(self, name: str) -> Path:
        """The datastore's own folder."""
        return self.folder / name

    def linked(self, name: str) -> bool:
        """Whether the datastore's login comes from the secrets store (answered without reading
        it: redaction asks on every text it cleans)."""
        store = self.stores[name]
        return store.password_secret is not None and store.kind in ("postgres", "redis")

    def login(self, name: str) -> Login:
        """The login fleetops and new instances use now: the linked secret's AWSCURRENT (its
        user, or the datastore's own), else the datastore's user and generated password."""
        linked = self._logins(name)
        if linked is not None:
            return Login(linked[0] or self.default_user(name), linked[1])
        if name not in self._passwords:
            self._passwords[name] = datastore_password(self.home(name))
        return Login(self.default_user(name), self._passwords[name])

    def previous_login(self, name: str) -> Login | None:
        """The linked secret's AWSPREVIOUS login, if it has one (what the server may still
        accept when the secret's value was changed outside a rotation)."""
        linked = self._previous_logins(name)
        return None if linked is None else Login(linked[0] or self.default_user(name), linked[1])

    def default_user(self, name: str) -> str:
        """The user a login names when its secret names none (Redis' ``default``)."""
        store = self.stores[name]
        return "default" if store.kind == "redis" else store.user

    def password(self, name: str) -> str:
        """The password of the current login (see :meth:`login`)."""
        return self.login(name).password

    def passwords(self) -> frozenset[str]:
        """Every generated password handed out (what redaction removes; linked logins are
        secrets, which redaction knows already)."""
        return frozenset(
            self.password(n)
            for n, s in self.stores.items()
            if s.kind in ("postgres", "redis") and not self.linked(n)
        )

    def url(self, name: str, login: Login | None = None) -> str:
        """The URL services connect with (password included), with ``login`` (default: the
        current one)."""
        store = self.stores[name]
        if store.kind == "sqlite":
            return f"sqlite:///{self.sqlite_file(name)}"
        port = self.ports.get(name)
        login = login or self.login(name)
        secret = quote(login.password, safe="")
        if store.kind == "postgres":
            return f"postgresql://{quote(login.user, safe='')}:{secret}@127.0.0.1:{port}/{store.database}"
        if store.kind == "redis":
            user = "" if login.user == "default" else quote(login.user, safe="")
            return f"redis://{user}:{secret}@127.0.0.1:{port}/{store.db}"
        return f"mongodb://127.0.0.1:{port}/{store.database}"

    def urls(self) -> dict[str, str]:
        """Name -> URL of every datastore."""
        return {name: self.url(name) for name in self.stores}

    def sqlite_file(self, name: str) -> Path:
        """The SQLite datastore's file."""
        return self.home(name) / f"{name}.sqlite"

    def pg(self, name: str) -> PgServer:
        """The PostgreSQL server of a ``postgres`` datastore."""
        return PgServer(bin_dir=find_pg_bin_dir(), folder=self.home(name) / "server")

    def wal_archive(self, name: str) -> Path:
        """Where a ``postgres`` datastore archives its WAL (next to its backups)."""
        return self.folder.parent / "backups" / name / "wal"

    def restart(self, name: str) -> None:
        """Start (or stop and start again) one datastore's server on its port, as :meth:`start`
        does (a restored PostgreSQL data directory gets its settings and database back)."""
        self._start_one(name, self.stores[name])

    def redis(self, name: str) -> RedisServer:
        """The Redis server of a ``redis`` datastore."""
        return RedisServer(folder=self.home(name) / "server", password=self.password(name))

    # -- lifecycle ------------------------------------------------------------------------------

    def check_installed(self) -> None:
        """``DatastoreUnavailable`` naming each datastore whose server is missing here."""
        problems = []
        for name, store in self.stores.items():
            if store.kind == "mongodb":
                if shutil.which("mongod") is None:
                    problems.append(
                        f"datastore {name!r} is MongoDB and mongod is not installed (Debian has no "
                        "package: install MongoDB from mongodb.com), or list the environments it "
                        "exists in (datastores.{name}.environments) without this one"
                    )
                else:
                    problems.append(f"datastore {name!r}: the local sandbox does not run MongoDB yet")
        if problems:
            raise DatastoreUnavailable("; ".join(problems))

    def start(self) -> None:
        """Start every datastore (PostgreSQL: initdb on first start, then its database created)."""
        self.check_installed()
        private_folder(self.folder)
        started: list[str] = []
        try:
            for name, store in self.stores.items():
                self._start_one(name, store)
                started.append(name)
        except BaseException:
            for name in reversed(started):
                self._stop_one(name)
            raise

    def stop(self) -> None:
        """Stop every server started here; SQLite files stay (they are the data)."""
        for probe in self._probes.values():
            probe.close()
        for name in reversed(list(self.stores)):
            self._stop_one(name)

    def pids(self) -> dict[str, int]:
        """Name -> pid of each running server."""
        out: dict[str, int] = {}
        for name, store in self.stores.items():
            pid = self.pg(name).pid() if store.kind == "postgres" else None
            pid = self.redis(name).pid() if store.kind == "redis" else pid
            if pid is not None:
                out[name] = pid
        return out

    def health(self) -> list[DatastoreHealth]:
        """Each datastore's health: PostgreSQL a query on a connection kept between checks
        (``fleetops.providers.local.pg_probe``), Redis ``PING``, SQLite ``SELECT 1``."""
        return [self._health_one(name, store) for name, store in self.stores.items()]

    # -- internals ------------------------------------------------------------------------------

    def _port(self, name: str) -> int:
        path = self.home(name) / "port"
        try:
            port = int(path.read_text())
        except (OSError, ValueError):
            port = 0
        if not port or not port_free(port):
            port = free_loopback_port()
            private_folder(path.parent)
            path.write_text(f"{port}\n")
        return port

    def _start_one(self, name: str, store: LocalDatastore) -> None:
        private_folder(self.home(name))
        if store.kind == "sqlite":
            sqlite3.connect(self.sqlite_file(name)).close()
        elif store.kind == "postgres":
            server = self.pg(name)
            server.undo_half_swap()
            # A new cluster's superuser is the URL's user, with the current password (a linked
            # secret's first version names no other user).
            new_cluster(server, user=store.user, password=self.password(name), database=store.database)
            archive = self.wal_archive(name)
            private_folder(archive.parent)
            server_owned_folder(archive)
            server.start(self.ports[name], settings=SANDBOX_SETTINGS | archiving(archive))
            self._create_database(server, store)
        elif store.kind == "redis":
            self.redis(name).start(self.ports[name])

    def _create_database(self, server: PgServer, store: LocalDatastore) -> None:
        import psycopg
        from psycopg import sql

        login = self.login(store.name)
        with psycopg.connect(
            host="127.0.0.1", port=self.ports[store.name], user=login.user, dbname="postgres",
            password=login.password, autocommit=True,
        ) as conn:  # fmt: skip
            found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (store.database,)).fetchone()
            if found is None:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(store.database)))

    def _stop_one(self, name: str) -> None:
        kind = self.stores[name].kind
        if kind == "postgres":
            self.pg(name).stop()
        elif kind == "redis":
            self.redis(name).stop()

    def _health_one(self, name: str, store: LocalDatastore) -> DatastoreHealth:
        import psycopg

        port = self.ports.get(name)
        try:
            if store.kind == "postgres":
                row = self._probes[name].fetchone(self.url(name), _PG_HEALTH)
                connections, size = (int(row[0]), int(row[1])) if row else (None, None)
                return DatastoreHealth(name, store.kind, True, "SELECT 1 answered", port, connections, size)
            if store.kind == "redis" and port is not None:
                login = self.login(name)
                answer = redis_command(port, login.password, "PING", user=login.user)
                clients = redis_command(port, login.password, "INFO", "clients", user=login.user)
                memory = redis_command(port, login.password, "INFO", "memory", user=login.user)
                return DatastoreHealth(
                    name, store.kind, answer == "PONG", f"PING answered {answer}", port,
                    _info_int(clients, "connected_clients"), _info_int(memory, "used_memory"),
                )  # fmt: skip
            if store.kind == "sqlite":
                path = self.sqlite_file(name)
                if not path.exists():
                    return DatastoreHealth(
                        name, store.kind, False, f"{path} does not exist", None, None, None
                    )
                with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
                    conn.execute("SELECT 1")
                return DatastoreHealth(
                    name, store.kind, True, "SELECT 1 answered", None, None, path.stat().st_size
                )
            return DatastoreHealth(name, store.kind, False, "not run by the local sandbox", port, None, None)
        except (psycopg.Error, RedisUnavailable, sqlite3.Error, OSError) as err:
            return DatastoreHealth(name, store.kind, False, _first_line(err), port, None, None)


_PG_HEALTH = (
    "SELECT (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()),"
    " pg_database_size(current_database())"
)
"""The health query: it answers (the check's ``SELECT 1``) with the database's sessions (this
check's own among them) and size."""


def _info_int(info: object, key: str) -> int | None:
    if not isinstance(info, str):
        return None
    for line in info.splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split(":", 1)[1])
    return None


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__
