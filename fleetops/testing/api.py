"""An API app on a real store with one token per role, for tests of routes.

    with api_harness(tmp_path) as api:
        response = api.client(Role.OPERATOR).post("/api/v1/...", json={...})

``api.client(None)`` sends no token. Tokens are named after their role (``viewer``,
``operator``; ``admin`` is the token the server wrote to ``<state_dir>/token`` on first start).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from fleetops.server.app import create_app
from fleetops.server.auth import Role, new_token, read_token_file, token_digest
from fleetops.server.settings import ServerSettings
from fleetops.store import Store
from fleetops.store.database import DATABASE_URL_ENV
from fleetops.testing.store_template import put_migrated_store


@dataclass
class ApiHarness:
    """The app, its store, and a token for every role."""

    app: FastAPI
    store: Store
    state_dir: Path
    tokens: dict[Role, str] = field(default_factory=dict)

    def client(self, role: Role | None = None, *, token: str | None = None) -> TestClient:
        """A client sending the token of ``role`` (or ``token``; neither: no token at all)."""
        bearer = token if token is not None else (self.tokens[role] if role is not None else None)
        headers = {"Authorization": f"Bearer {bearer}"} if bearer is not None else {}
        return TestClient(self.app, headers=headers)


@contextmanager
def api_harness(state_dir: Path, database_url: str | None = None) -> Iterator[ApiHarness]:
    """Create the app on a fresh state dir (and database), add viewer and operator tokens, close after.

    Its SQLite store (no ``database_url``) is a copy of one migrated once per process.
    """
    if database_url is None and not os.environ.get(DATABASE_URL_ENV):
        put_migrated_store(state_dir)
    app = create_app(ServerSettings(state_dir=state_dir, database_url=database_url))
    store: Store = app.state.store
    try:
        admin = read_token_file(state_dir)
        if admin is None:
            raise RuntimeError(f"the server wrote no admin token to {state_dir}: is the database not fresh?")
        harness = ApiHarness(app=app, store=store, state_dir=state_dir, tokens={Role.ADMIN: admin})
        for role in (Role.VIEWER, Role.OPERATOR):
            token = new_token()
            store.tokens.add(name=str(role), role=role, token_sha256=token_digest(token), created_by="test")
            harness.tokens[role] = token
        yield harness
    finally:
        store.close()
