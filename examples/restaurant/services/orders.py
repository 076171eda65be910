"""orders: creates and lists orders, kept in SQLite (or PostgreSQL when ``DATABASE_URL`` is set).

POST /orders {"user", "items": [menu item ids]} prices the items with menu, charges payments,
asks notifications to tell the user (best effort) and stores the order -> 201 order.
GET /orders[?user=] lists orders; GET /orders/{id} returns one.
Requires menu and payments (health fails without them); notifications is optional.
Database: ``ORDERS_DB_URL`` (the sandbox's orders-db datastore: ``postgresql://`` or
``sqlite:///PATH``), else ``DATABASE_URL``; SQLite file: ``ORDERS_DB`` (a path or a
``sqlite:///PATH`` URL), else
``$FLEETOPS_DATA_DIR/orders.sqlite`` (shared by the instances,
kept across deploys), else a file per instance in the temp dir (removed on exit).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import httpx
import psycopg
from common import JsonLog, Settings, create_service_app, now_iso, serve
from dependency import Dependency
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS orders ("
    " id {id_type}, username TEXT NOT NULL, items TEXT NOT NULL,"
    " total_cents INTEGER NOT NULL, charge_id TEXT NOT NULL, created_at TEXT NOT NULL)"
)


class OrderStore:
    """Orders in SQLite (a file path) or PostgreSQL (a ``postgresql://`` URL; the SQLAlchemy
    spelling ``postgresql+psycopg://`` is accepted too). The table is created on first use, so
    the service starts, and reports its database down, while the database is unreachable."""

    def __init__(self, url: str | None, sqlite_path: str) -> None:
        self.url = url.replace("postgresql+psycopg://", "postgresql://", 1) if url else None
        self.sqlite_path = sqlite_path
        self._mark = "%s" if url else "?"
        self._ready = False
        # One PostgreSQL connection per instance, kept: a new one per request (and per health
        # check, every second) cost a server process and a SCRAM exchange each, ~10 ms of CPU.
        self._pg: psycopg.Connection[Any] | None = None
        self._pg_lock = threading.Lock()

    @contextlib.contextmanager
    def _connect(self) -> Iterator[Any]:
        if not self._ready:
            self._ready = True
            try:
                self._create_schema()
            except BaseException:
                self._ready = False
                raise
        with self._raw_connection() as conn:
            yield conn

    def _create_schema(self) -> None:
        id_type = "BIGSERIAL PRIMARY KEY" if self.url else "INTEGER PRIMARY KEY AUTOINCREMENT"
        with self._raw_connection() as conn:
            if not self.url:
                # Several instances may share one file: WAL lets readers and a writer coexist.
                conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(_SCHEMA.format(id_type=id_type))

    @contextlib.contextmanager
    def _raw_connection(self) -> Iterator[Any]:
        if self.url:
            with self._pg_lock:
                if self._pg is None or self._pg.closed:
                    self._pg = psycopg.connect(self.url, connect_timeout=2, autocommit=True)
                try:
                    yield self._pg
                except psycopg.OperationalError:
                    # Ended by the server (a restore, a restart): the next call connects again.
                    self._pg.close()
                    self._pg = None
                    raise
        else:
            conn = sqlite3.connect(self.sqlite_path, timeout=5)
            try:
                with conn:
                    yield conn
            finally:
                conn.close()

    def close(self) -> None:
        """Close the kept PostgreSQL connection (the next call would open one again)."""
        with self._pg_lock:
            if self._pg is not None:
                self._pg.close()
                self._pg = None

    def _sql(self, text: str) -> str:
        return text.replace("?", self._mark)

    def ping(self) -> bool:
        """Whether the database answers (on a new connection when the kept one was ended)."""
        for _attempt in range(2):
            try:
                with self._connect() as conn:
                    conn.execute("SELECT 1")
                return True
            except psycopg.OperationalError:
                continue
            except (sqlite3.Error, psycopg.Error):
                return False
        return False

    def add(self, user: str, items: Sequence[int], total: int, charge_id: str, at: str) -> dict[str, Any]:
        """Store an order and return it."""
        with self._connect() as conn:
            cursor = conn.execute(
                self._sql(
                    "INSERT INTO orders (username, items, total_cents, charge_id, created_at)"
                    " VALUES (?, ?, ?, ?, ?) RETURNING id"
                ),
                (user, json.dumps(list(items)), total, charge_id, at),
            )
            order_id = cursor.fetchone()[0]
        return {"id": order_id, "user": user, "items": list(items), "total_cents": total,
                "charge_id": charge_id, "created_at": at}  # fmt: skip

    def find(self, *, order_id: int | None = None, user: str | None = None) -> list[dict[str, Any]]:
        """Orders matching the filters, oldest first."""
        query = "SELECT id, username, items, total_cents, charge_id, created_at FROM orders WHERE 1=1"
        params: list[Any] = []
        if order_id is not None:
            query, params = query + " AND id = ?", [*params, order_id]
        if user is not None:
            query, params = query + " AND username = ?", [*params, user]
        with self._connect() as conn:
            rows = conn.execute(self._sql(query + " ORDER BY id"), params).fetchall()
        keys = ("id", "user", "items", "total_cents", "charge_id", "created_at")
        return [{**dict(zip(keys, row, strict=True)), "items": json.loads(row[2])} for row in rows]


def create_app(env: Mapping[str, str], log: JsonLog | None = None) -> ASGIApp:
    """The orders service's app."""
    settings = Settings.from_env("orders", env)
    log = log or JsonLog(settings)
    default_db = os.path.join(tempfile.gettempdir(), f"fleetops-orders-{settings.instance}.sqlite")
    if env.get("FLEETOPS_DATA_DIR"):
        default_db = os.path.join(env["FLEETOPS_DATA_DIR"], "orders.sqlite")
    # The sandbox's datastore (the fleet file names orders-db) wins: a postgresql:// or sqlite:/// URL.
    url = env.get("ORDERS_DB_URL") or env.get("DATABASE_URL") or None
    sqlite_path = env.get("ORDERS_DB") or default_db
    if url is not None and url.startswith("sqlite:///"):
        sqlite_path, url = url, None
    # The fleet file names it as its datastore does: sqlite:///relative/or//absolute/path.
    sqlite_path = sqlite_path.removeprefix("sqlite:///")
    os.makedirs(os.path.dirname(os.path.abspath(sqlite_path)), exist_ok=True)
    store = OrderStore(url, sqlite_path)
    menu = Dependency.from_env("menu", env, required=True)
    payments = Dependency.from_env("payments", env, required=True)
    notifications = Dependency.from_env("notifications", env, required=False)

    async def create(request: Request) -> Response:
        body = await request.json()
        user, item_ids = (body.get("user"), body.get("items")) if isinstance(body, dict) else (None, None)
        if not isinstance(user, str) or not isinstance(item_ids, list) or not item_ids:
            return JSONResponse({"error": 'body must be {"user": str, "items": [ids]}'}, status_code=400)
        total = 0
        for item_id in item_ids:
            found = await menu.request("GET", f"/items/{item_id}")
            if found.status_code == 404:
                return JSONResponse({"error": f"no menu item {item_id}"}, status_code=400)
            if found.status_code != 200:
                return JSONResponse({"error": f"menu answered {found.status_code}"}, status_code=502)
            total += found.json()["price_cents"]
        charge = await payments.request("POST", "/charges", json={"order_id": None, "amount_cents": total})
        if charge.status_code != 201:
            return JSONResponse({"error": f"payments answered {charge.status_code}"}, status_code=502)
        charge_id = charge.json()["charge_id"]
        order = await run_in_threadpool(store.add, user, item_ids, total, charge_id, now_iso())
        try:
            await notifications.request(
                "POST", "/notifications", json={"to": user, "message": f"order {order['id']} confirmed"}
            )
        except httpx.HTTPError as err:
            log("warning", "notification not sent", order_id=order["id"], error=str(err))
        return JSONResponse(order, status_code=201)

    async def listing(request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(store.find, user=request.query_params.get("user")))

    async def one(request: Request) -> Response:
        found = await run_in_threadpool(store.find, order_id=request.path_params["order_id"])
        return JSONResponse(found[0]) if found else JSONResponse({"error": "no such order"}, status_code=404)

    async def database_ok() -> bool:
        return await run_in_threadpool(store.ping)

    async def close_store() -> None:
        await run_in_threadpool(store.close)

    async def remove_default_db() -> None:
        if sqlite_path == default_db and store.url is None and not env.get("FLEETOPS_DATA_DIR"):
            for suffix in ("", "-wal", "-shm", "-journal"):
                with contextlib.suppress(FileNotFoundError):
                    os.remove(sqlite_path + suffix)

    routes = [
        Route("/orders", create, methods=["POST"]),
        Route("/orders", listing),
        Route("/orders/{order_id:int}", one),
    ]
    return create_service_app(
        settings,
        routes,
        log=log,
        dependencies=[menu, payments, notifications],
        database=database_ok,
        on_shutdown=[close_store, remove_default_db],
    )


if __name__ == "__main__":
    settings = Settings.from_env("orders", os.environ)
    log = JsonLog(settings)
    serve(create_app(os.environ, log), settings, log)
