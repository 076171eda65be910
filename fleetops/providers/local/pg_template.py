"""New sandbox PostgreSQL clusters copied from a template made once, instead of ``initdb`` each time.

``initdb`` costs half a second of CPU (a second or more on a loaded machine) and every new
environment, scratch copy and backup verification needs a cluster. So the first one made with a
PostgreSQL installation, superuser and database runs ``initdb`` (and ``CREATE DATABASE``) into
a template in the user's cache, and every cluster after is a copy of it (``cp -a``, tens of
milliseconds) whose superuser then gets its password in single-user mode, before the server
ever listens:

    new_cluster(server, user="orders", password=pw, database="orders")

The template holds no credentials: its superuser has no password, and TCP logins need one
(``scram-sha-256``), so nothing can log into a copy until it has its own. Templates live in
``$FLEETOPS_CACHE_DIR``, else ``$XDG_CACHE_HOME/fleetops``, else ``~/.cache/fleetops``, under
``postgres/<key>/`` where the key names the installation (the ``initdb`` binary's path and
mtime: a package upgrade makes a new one), the user, the database and the options below. Several
``fleetops up`` at once are safe: one makes the template under a lock file, in a folder of its
own, renamed into place when complete; the others wait for it, and a template folder that
exists is complete. Without a cache to write, each cluster is made with ``initdb`` as before.

Every cluster is made with 1 MB WAL segments instead of 16 MB: a sandbox writes little, and each
segment finished (by ``archive_timeout``, a point-in-time restore's switch, or a full segment)
is copied whole into the WAL archive.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fleetops.cache import cache_dir
from fleetops.private_files import private_folder
from fleetops.providers.local.pg_server import PgServer, PostgresUnavailable, run_pg, server_owned_folder
from fleetops.providers.local.scram import scram_verifier

WAL_SEGMENT_MB = 1
"""The WAL segment size of every sandbox cluster (PostgreSQL's default: 16)."""
INITDB_OPTIONS = (
    "--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8", "--locale=C", "--no-sync",
    "--no-instructions", f"--wal-segsize={WAL_SEGMENT_MB}",
)  # fmt: skip
"""How every sandbox cluster is made (part of the template's key)."""
_SINGLE_USER = ("--single", "-c", "log_min_error_statement=panic", "-c", "archive_mode=off")
"""Single-user mode that never writes a statement into its output (it may hold a verifier)."""


def new_cluster(server: PgServer, *, user: str, password: str, database: str | None = None) -> None:
    """Make ``server``'s cluster (nothing when it has one): a copy of the template for its
    installation, ``user`` (superuser) and ``database`` (created when given), then ``user``'s
    password set. ``PostgresUnavailable`` when a step fails."""
    if server.initialised():
        return
    try:
        template = cluster_template(server.bin_dir, user, database)
    except OSError:
        # No cache to write (a read-only home): this cluster is made as the template would be.
        template = _made_here(server, user, database)
    server_owned_folder(server.folder)
    staging = server.folder / "data.new"
    # A copy cut short by a crash is made again; the data directory appears complete or not at all.
    run_pg("rm", "-rf", staging)
    run_pg("cp", "-a", template, staging)
    _single_user(
        server.bin_dir, staging, f"ALTER ROLE {_identifier(user)} PASSWORD '{scram_verifier(password)}'"
    )
    os.replace(staging, server.data_dir)
    if template.parent == server.folder:
        run_pg("rm", "-rf", template)


def cluster_template(bin_dir: Path, user: str, database: str | None) -> Path:
    """The template data directory for this installation, ``user`` and ``database``; made now
    (under a lock) when missing."""
    initdb = bin_dir / "initdb"
    recipe = "|".join(
        [str(initdb.resolve()), str(initdb.stat().st_mtime_ns), user, database or "", *INITDB_OPTIONS]
    )
    key = hashlib.sha256(recipe.encode()).hexdigest()[:20]
    root = private_folder(cache_dir() / "postgres")
    final = root / key
    if (final / "data" / "PG_VERSION").is_file():
        return final / "data"
    with _locked(root / f"{key}.lock"):
        if not (final / "data" / "PG_VERSION").is_file():
            work = root / f"{key}.making"
            run_pg("rm", "-rf", work)
            server_owned_folder(work)
            # No password: the superuser of a copy gets its own (new_cluster), never a shared one.
            run_pg(bin_dir / "initdb", "-D", work / "data", "-U", user, *INITDB_OPTIONS)
            if database not in (None, "postgres"):
                _single_user(bin_dir, work / "data", f"CREATE DATABASE {_identifier(database)}")
            (work / "recipe").write_text(recipe + "\n")
            if final.exists():
                shutil.rmtree(final)  # an incomplete template of an older fleetops
            os.replace(work, final)
    return final / "data"


def _made_here(server: PgServer, user: str, database: str | None) -> Path:
    """A template data directory made in ``server``'s own folder (``template``), for one copy."""
    server_owned_folder(server.folder)
    work = server.folder / "template"
    run_pg("rm", "-rf", work)
    run_pg(server.bin_dir / "initdb", "-D", work, "-U", user, *INITDB_OPTIONS)
    if database not in (None, "postgres"):
        _single_user(server.bin_dir, work, f"CREATE DATABASE {_identifier(database)}")
    return work


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _identifier(name: str) -> str:
    if "\n" in name or "\r" in name or "\0" in name:
        raise PostgresUnavailable(f"PostgreSQL name {name!r} holds a line break or NUL")
    return '"' + name.replace('"', '""') + '"'


def _single_user(bin_dir: Path, data_dir: Path, statement: str) -> None:
    """Run one statement (one line) in single-user mode on the stopped cluster ``data_dir``."""
    result = run_pg(bin_dir / "postgres", *_SINGLE_USER, "-D", data_dir, "postgres", stdin=statement + "\n")
    if "ERROR:" in result.stdout + result.stderr or "FATAL:" in result.stdout + result.stderr:
        lines = [
            line
            for line in (result.stdout + result.stderr).splitlines()
            if "ERROR:" in line or "FATAL:" in line
        ]
        raise PostgresUnavailable(
            f"PostgreSQL single-user mode in {data_dir} failed: {' '.join(lines)[-1000:]}"
        )
