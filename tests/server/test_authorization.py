"""Every API route, the least role it needs, and proof that it is enforced.

A route missing from ``ROUTES`` fails ``test_every_route_is_in_the_table``: add it with its
minimum role (``None`` for public) and a request that succeeds with that role.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts

from fleetops.server.auth import Role
from fleetops.testing.api import ApiHarness


@dataclass(frozen=True)
class Case:
    """A route, the least role it needs, and a concrete request that succeeds with that role."""

    method: str
    path: str
    role: Role | None
    url: str = ""
    json: dict[str, Any] | None = None
    ok: int = 200
    setup: tuple[str, ...] = field(default=())  # names of tokens (role viewer) to create first

    @property
    def target(self) -> str:
        return self.url or self.path


ROUTES = [
    Case("GET", "/api/v1/health", None),
    Case("GET", "/api/v1/openapi.json", None),
    Case("GET", "/api/v1/docs", None),
    Case("GET", "/api/v1/whoami", Role.VIEWER),
    Case("GET", "/api/v1/audit", Role.ADMIN),
    Case("GET", "/api/v1/tokens", Role.ADMIN),
    Case("POST", "/api/v1/tokens", Role.ADMIN, json={"name": "new", "role": "viewer"}, ok=201),
    Case("DELETE", "/api/v1/tokens/{name}", Role.ADMIN, url="/api/v1/tokens/victim", setup=("victim",)),
]

_IDS = [f"{case.method} {case.path}" for case in ROUTES]


def _app_routes(api: ApiHarness) -> set[tuple[str, str]]:
    found = set()
    # FastAPI keeps included routers as such; iter_route_contexts flattens them with their prefix.
    for route in iter_route_contexts(api.app.routes):
        found |= {(method, route.path or repr(route)) for method in route.methods or () if method != "HEAD"}
    return found


def test_every_route_is_in_the_table(api: ApiHarness) -> None:
    assert _app_routes(api) == {(case.method, case.path) for case in ROUTES}


def _call(api: ApiHarness, case: Case, role: Role | None, token: str | None = None) -> int:
    for name in case.setup:
        if api.store.tokens.get(name) is None:
            api.store.tokens.add(name=name, role="viewer", token_sha256=name * 8, created_by="test")
    client = api.client(role, token=token)
    return client.request(case.method, case.target, json=case.json).status_code


@pytest.mark.parametrize("case", ROUTES, ids=_IDS)
def test_without_a_token(api: ApiHarness, case: Case) -> None:
    assert _call(api, case, None) == (case.ok if case.role is None else 401)


@pytest.mark.parametrize(
    "case", [case for case in ROUTES if case.role is not None], ids=lambda case: case.path
)
def test_with_an_unknown_token(api: ApiHarness, case: Case) -> None:
    assert _call(api, case, None, token="fo_not-a-real-token") == 401


@pytest.mark.parametrize("case", ROUTES, ids=_IDS)
def test_roles_below_the_minimum_are_forbidden(api: ApiHarness, case: Case) -> None:
    lower = [role for role in Role if case.role is not None and role.rank < case.role.rank]
    assert {role: _call(api, case, role) for role in lower} == dict.fromkeys(lower, 403)


@pytest.mark.parametrize("case", ROUTES, ids=_IDS)
def test_the_minimum_role_is_admitted(api: ApiHarness, case: Case) -> None:
    assert _call(api, case, case.role or Role.VIEWER) == case.ok
