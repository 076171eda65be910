"""Point-in-time recovery of a sandbox PostgreSQL: base backups, and a restore to a moment.

A base backup is ``pg_basebackup`` of the whole cluster as one gzipped tar (``-Ft -z``) holding
the WAL it needs to be consistent (``-X fetch``); the server archives every WAL segment after it
(``fleetops.providers.local.pg_wal``). Its catalog entry's source position is the WAL range it
covers (``lsn:START-END``); a restore can reach any moment after the backup ended.

``restore_to_time`` replays the archive from a base backup up to a moment, beside the live
server, and swaps the data directories only once the copy has recovered and been promoted:

1. the live server (when it runs) commits a marker transaction and switches to a new WAL
   segment, and the archive is awaited: every transaction up to now is in the archive, and one
   after the target time too (recovery stops at the first commit past it);
2. the base backup is unpacked into ``<datastore>/pitr/data`` with ``recovery.signal`` and the
   recovery settings, and started on a free port with a unix socket in a short temp folder;
3. once it has promoted, the current login is set on it (the copy has the roles of the target
   time: a rotation since would leave the services locked out) and the alternate user of a
   rotated datastore is refused again (a password revoked since would be valid again);
4. the copy stops, the live server stops, the data directories swap (the old one kept as
   ``data.old`` until the restored one has started), and the server starts on its port.

A failure before the swap leaves the live server as it was. Each call starts from the beginning
(a control plane killed in the middle runs it again): a swap left half done is undone first.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fleetops.errors import OperationFailed
from fleetops.ops.backups.take import Taken, pg_counts
from fleetops.private_files import private_file, private_folder
from fleetops.providers.local.datastore_logins import alternate_user
from fleetops.providers.local.datastores import LocalDatastores
from fleetops.providers.local.pg_server import (
    SERVER_USER,
    PgServer,
    PostgresUnavailable,
    run_pg,
    server_owned_folder,
)
from fleetops.providers.local.pg_wal import archiving, recovery
from fleetops.providers.local.process import free_loopback_port
from fleetops.providers.local.scram import scram_verifier

BASE_TOOL = "pg_basebackup"
"""The catalog's ``tool`` of a base backup (a logical one's is ``pg_dump -Fc``)."""
BASE_SUFFIX = ".base.tar.gz"
ARCHIVE_TIMEOUT_S = 120.0
RECOVERY_TIMEOUT_S = 600.0
_WAL_POINT = re.compile(r"write-ahead log (start|end) point: (\S+)")


def take_base_backup(stores: LocalDatastores, name: str, path: Path) -> Taken:
    """``pg_basebackup`` of datastore ``name``'s cluster into ``path`` (``*.base.tar.gz``).
    Its contents are the row counts read just before it started (writes meanwhile are in it
    too, and in the WAL after it)."""
    import psycopg

    if stores.stores[name].kind != "postgres":
        raise OperationFailed(f"datastore {name!r} is not PostgreSQL: base backups are PostgreSQL's")
    server = stores.pg(name)
    tool = server.bin_dir / "pg_basebackup"
    version = subprocess.run([tool, "--version"], capture_output=True, text=True, check=True).stdout
    login = stores.login(name)
    with psycopg.connect(stores.url(name, login), connect_timeout=5) as conn:
        row = conn.execute("SHOW archive_mode").fetchone()
        if row is None or row[0] == "off":
            # A sandbox started by an older fleetops: the WAL after the backup would be lost.
            raise OperationFailed(
                f"datastore {name!r} runs without WAL archiving (started before fleetops archived "
                "it): a base backup of it could not be restored to a point in time; restart the "
                "environment (fleetops down, then fleetops up) and take it again"
            )
        contents = pg_counts(conn)
    work = path.parent / f"{path.name}.tmp"
    shutil.rmtree(work, ignore_errors=True)
    private_folder(work)
    try:
        result = subprocess.run(
            [
                str(tool), "-h", "127.0.0.1", "-p", str(stores.ports[name]), "-U", login.user,
                "-D", str(work), "-Ft", "-z", "-X", "fetch", "--checkpoint=fast", "--no-manifest", "-v",
            ],
            capture_output=True, text=True, check=False, cwd="/",
            env={"PATH": os.environ.get("PATH", ""), "PGPASSWORD": login.password},
        )  # fmt: skip
        if result.returncode != 0:
            raise OperationFailed(f"pg_basebackup of {name!r} failed: {result.stderr.strip()[-1000:]}")
        points = dict(_WAL_POINT.findall(result.stderr))
        private_file(path)
        os.replace(work / "base.tar.gz", path)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    position = f"lsn:{points.get('start', '?')}-{points.get('end', '?')}"
    return Taken(path, BASE_TOOL, version.strip(), position, contents)


def restore_to_time(stores: LocalDatastores, name: str, base: Path, target: datetime) -> None:
    """Replace datastore ``name``'s cluster with its state at ``target``, recovered from base
    backup ``base`` and the WAL archive (see the module docstring)."""
    if not base.is_file():
        raise OperationFailed(f"base backup {base} is missing: nothing was restored")
    live = stores.pg(name)
    live.undo_half_swap()
    if live.running():
        _archive_up_to_now(stores, name)
    staging = PgServer(bin_dir=live.bin_dir, folder=stores.home(name) / "pitr")
    # A copy left recovering (or running) by a call that was killed: stopped, then started over.
    staging.stop()
    shutil.rmtree(staging.folder, ignore_errors=True)
    server_owned_folder(staging.folder)
    server_owned_folder(staging.data_dir)
    run_pg("tar", "-xzf", base, "-C", staging.data_dir)
    run_pg("touch", staging.data_dir / "recovery.signal")
    sockets = Path(tempfile.mkdtemp(prefix="fo-pitr-"))
    try:
        if os.geteuid() == 0:
            owner = pwd.getpwnam(SERVER_USER)
            os.chown(sockets, owner.pw_uid, owner.pw_gid)
        archive = stores.wal_archive(name)
        port = free_loopback_port()
        try:
            staging.start(port, settings=archiving(archive) | recovery(archive, target), socket_dir=sockets)
        except PostgresUnavailable as err:
            raise OperationFailed(f"recovery of {name!r} to {target.isoformat()} failed: {err}") from err
        try:
            _await_promotion(staging, sockets, port, stores.stores[name].user, name)
            _set_current_login(stores, name, sockets, port)
        finally:
            staging.stop()
    finally:
        shutil.rmtree(sockets, ignore_errors=True)
    live.stop()
    old = live.swapped_out
    shutil.rmtree(old, ignore_errors=True)
    os.replace(live.data_dir, old)
    os.replace(staging.data_dir, live.data_dir)
    try:
        stores.restart(name)
    except BaseException:
        # The restored copy does not start: the cluster as it was comes back.
        failed = staging.folder / "data.failed"
        shutil.rmtree(failed, ignore_errors=True)
        os.replace(live.data_dir, failed)
        os.replace(old, live.data_dir)
        stores.restart(name)
        raise
    shutil.rmtree(old, ignore_errors=True)
    shutil.rmtree(staging.folder, ignore_errors=True)


def _archive_up_to_now(stores: LocalDatastores, name: str) -> None:
    """A commit now, then a WAL switch, then wait until the segment holding it is archived."""
    import psycopg

    with psycopg.connect(stores.url(name), autocommit=True, connect_timeout=5) as conn:
        # A transaction with an id writes a commit record stamped now: recovery to any earlier
        # time finds a commit past its target, even on an idle database.
        conn.execute("SELECT txid_current()")
        row = conn.execute("SELECT pg_walfile_name(pg_switch_wal())").fetchone()
        segment = str(row[0]) if row else ""
        deadline = time.monotonic() + ARCHIVE_TIMEOUT_S
        while True:
            found = conn.execute("SELECT last_archived_wal, last_failed_wal FROM pg_stat_archiver").fetchone()
            archived = str(found[0] or "") if found else ""
            if len(archived) >= 24 and archived[:24] >= segment:
                return
            if time.monotonic() > deadline:
                failed = found[1] if found else None
                raise OperationFailed(
                    f"WAL segment {segment} of {name!r} was not archived into {stores.wal_archive(name)} "
                    f"within {ARCHIVE_TIMEOUT_S:.0f} s (last archived: {archived or 'none'}, last "
                    f"failed: {failed or 'none'}): nothing was restored"
                )
            time.sleep(0.1)


def _await_promotion(server: PgServer, sockets: Path, port: int, user: str, name: str) -> None:
    import psycopg

    deadline = time.monotonic() + RECOVERY_TIMEOUT_S
    while True:
        try:
            with psycopg.connect(
                host=str(sockets), port=port, user=user, dbname="postgres", connect_timeout=5
            ) as conn:
                row = conn.execute("SELECT pg_is_in_recovery()").fetchone()
            if row is not None and row[0] is False:
                return
        except psycopg.OperationalError:
            if not server.running():
                tail = server.log_file.read_text(errors="replace")[-1500:] if server.log_file.exists() else ""
                raise OperationFailed(f"recovery of {name!r} failed; its log ends:\n{tail}") from None
        if time.monotonic() > deadline:
            raise OperationFailed(f"recovery of {name!r} did not end within {RECOVERY_TIMEOUT_S:.0f} s")
        time.sleep(0.1)


def _set_current_login(stores: LocalDatastores, name: str, sockets: Path, port: int) -> None:
    import psycopg
    from psycopg import sql

    store = stores.stores[name]
    login = stores.login(name)
    with psycopg.connect(
        host=str(sockets), port=port, user=store.user, dbname="postgres", autocommit=True, connect_timeout=5
    ) as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (login.user,)).fetchone()
        verb = "ALTER" if exists else "CREATE"
        conn.execute(
            sql.SQL(verb + " ROLE {} WITH LOGIN SUPERUSER PASSWORD {}").format(
                sql.Identifier(login.user), sql.Literal(scram_verifier(login.password))
            )
        )
        if stores.linked(name):
            other = alternate_user(store.user, login.user)
            if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (other,)).fetchone():
                conn.execute(sql.SQL("ALTER ROLE {} WITH PASSWORD NULL").format(sql.Identifier(other)))


def recoverable_from(created_at: datetime, duration_ms: int) -> datetime:
    """The earliest moment a base backup taken at ``created_at`` in ``duration_ms`` can be
    recovered to: when it ended (what it holds is consistent only from its end on)."""
    return (created_at + timedelta(milliseconds=duration_ms)).astimezone(UTC)
