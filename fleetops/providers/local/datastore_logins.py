"""A rotation's effects on a sandbox datastore: set a login, log in with it, revoke it.

PostgreSQL: alternating users. A role has one password, so the previous password can stay valid
while instances move off it only if the new one belongs to another role: each rotation sets the
password of the user that is *not* current (``orders`` / ``orders_clone``, created on first use
with the same rights: in the sandbox both are the cluster's superusers, as the one user was
before), and revoking the previous version takes the old user's password away (``PASSWORD
NULL``: it can no longer log in). Passwords are sent as SCRAM-SHA-256 verifiers computed here,
so not even the server's log (which keeps a failed statement) sees the value.

Redis: keep the previous password valid. An ACL user may have several passwords: ``ACL SETUSER
user >new`` adds one, ``<old`` removes one.

Each call connects with the login given as ``admin`` (the current one, which the rotation never
touches). Errors are ``LoginFailed``, whose message never holds a password.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fleetops.errors import FleetopsError
from fleetops.providers.local.datastores import LocalDatastores, Login
from fleetops.providers.local.redis_server import RedisUnavailable, redis_command
from fleetops.providers.local.scram import scram_verifier

if TYPE_CHECKING:
    import psycopg

CLONE_SUFFIX = "_clone"


class LoginFailed(FleetopsError):
    """A login could not be set, used or revoked on a datastore."""


def alternate_user(base: str, current: str) -> str:
    """The user a new PostgreSQL password goes to: the one of ``base`` and ``base_clone`` that
    is not ``current``."""
    return base + CLONE_SUFFIX if current == base else base


def set_login(stores: LocalDatastores, name: str, login: Login, *, admin: Login) -> None:
    """Make ``login`` valid on datastore ``name`` without touching ``admin`` (the current one)."""
    from psycopg import sql

    kind = stores.stores[name].kind
    if kind == "postgres":
        if login.user == admin.user:
            raise LoginFailed(
                f"datastore {name!r}: the new password would replace {admin.user!r}'s, which running "
                "instances use; a PostgreSQL rotation sets the other user's"
            )
        with _pg(stores, name, admin) as conn:
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (login.user,)).fetchone()
            verb = "ALTER" if exists else "CREATE"
            conn.execute(
                sql.SQL(verb + " ROLE {} WITH LOGIN SUPERUSER PASSWORD {}").format(
                    sql.Identifier(login.user), sql.Literal(scram_verifier(login.password))
                )
            )
    elif kind == "redis":
        _redis(
            stores, name, admin, "ACL", "SETUSER", login.user, "on", f">{login.password}", "~*", "&*", "+@all"
        )
    else:
        raise LoginFailed(f"datastore {name!r} is {kind}: it has no login to set")


def try_login(stores: LocalDatastores, name: str, login: Login) -> None:
    """Log in to ``name`` with ``login`` and run a query; ``LoginFailed`` saying why not."""
    kind = stores.stores[name].kind
    if kind == "postgres":
        with _pg(stores, name, login, database=stores.stores[name].database) as conn:
            conn.execute("SELECT 1")
    elif kind == "redis":
        answer = _redis(stores, name, login, "PING")
        if answer != "PONG":
            raise LoginFailed(f"datastore {name!r}: PING answered {answer!r}")
    else:
        raise LoginFailed(f"datastore {name!r} is {kind}: it has no login to test")


def revoke_login(stores: LocalDatastores, name: str, old: Login, *, admin: Login) -> None:
    """Make ``old`` refused by ``name`` from now on; ``admin`` (the current login) keeps working."""
    from psycopg import sql

    kind = stores.stores[name].kind
    if kind == "postgres":
        if old.user == admin.user:
            raise LoginFailed(
                f"datastore {name!r}: {old.user!r} is the current user; its password is not revoked"
            )
        with _pg(stores, name, admin) as conn:
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (old.user,)).fetchone()
            if exists:
                conn.execute(sql.SQL("ALTER ROLE {} WITH PASSWORD NULL").format(sql.Identifier(old.user)))
    elif kind == "redis":
        if old.user == admin.user and old.password == admin.password:
            raise LoginFailed(f"datastore {name!r}: that password is the current one; it is not revoked")
        _redis(stores, name, admin, "ACL", "SETUSER", old.user, f"<{old.password}")
    else:
        raise LoginFailed(f"datastore {name!r} is {kind}: it has no login to revoke")


def _pg(
    stores: LocalDatastores, name: str, login: Login, *, database: str = "postgres"
) -> psycopg.Connection[tuple[object, ...]]:
    import psycopg

    try:
        return psycopg.connect(
            host="127.0.0.1", port=stores.ports[name], user=login.user, password=login.password,
            dbname=database, autocommit=True, connect_timeout=5,
        )  # fmt: skip
    except psycopg.Error as err:
        raise LoginFailed(f"datastore {name!r}: login as {login.user!r} refused: {_first_line(err)}") from err


def _redis(stores: LocalDatastores, name: str, login: Login, *args: str) -> object:
    try:
        return redis_command(stores.ports[name], login.password, *args, user=login.user)
    except RedisUnavailable as err:
        # The command's arguments (a password) are never in the message: only Redis' answer.
        raise LoginFailed(f"datastore {name!r}: {args[0]} as {login.user!r} failed: {err}") from err


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__
