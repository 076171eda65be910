"""Every mutating API call lands in the audit log, written in one place (the middleware)."""

from __future__ import annotations

import re

from fastapi.routing import iter_route_contexts

from fleetops.server.audit import MUTATING_METHODS
from fleetops.server.auth import Role
from fleetops.store import Outcome
from fleetops.testing.api import ApiHarness


def _calls(api: ApiHarness) -> list[tuple[str, str, str | None, dict[str, object], Outcome, str | None]]:
    return [
        (e.actor, e.action, e.target, e.arguments, e.outcome, e.error)
        for e in reversed(api.store.audit.list())
        if e.action != "tokens.bootstrap"
    ]


def test_success_is_recorded_with_who_what_target_and_arguments(api_on_store_url: ApiHarness) -> None:
    api = api_on_store_url
    api.client(Role.ADMIN).post("/api/v1/tokens", json={"name": "ci", "role": "viewer"})
    api.client(Role.ADMIN).delete("/api/v1/tokens/ci")
    assert _calls(api) == [
        ("admin", "tokens.create", "tokens", {"name": "ci", "role": "viewer"}, Outcome.SUCCESS, None),
        ("admin", "tokens.revoke", "tokens/ci", {}, Outcome.SUCCESS, None),
    ]


def test_refusals_are_recorded_with_the_error(api_on_store_url: ApiHarness) -> None:
    api = api_on_store_url
    api.client(None).delete("/api/v1/tokens/viewer")
    api.client(Role.OPERATOR).delete("/api/v1/tokens/viewer")
    assert _calls(api) == [
        (
            "anonymous", "tokens.revoke", "tokens/viewer", {}, Outcome.REFUSED,
            "no API token: send 'Authorization: Bearer <token>' (fleetops token create)",
        ),
        (
            "operator", "tokens.revoke", "tokens/viewer", {}, Outcome.REFUSED,
            "token 'operator' has role operator; this needs admin or above",
        ),
    ]  # fmt: skip


def test_bad_input_is_recorded_with_redacted_arguments(api: ApiHarness) -> None:
    api.client(Role.ADMIN).post("/api/v1/tokens", json={"name": "x", "role": "viewer", "password": "hunter2"})
    [entry] = api.store.audit.list(action="tokens.create")
    assert entry.arguments == {"name": "x", "role": "viewer", "password": "***"}
    assert entry.outcome is Outcome.BAD_INPUT
    assert entry.error == "invalid request: body.password: Extra inputs are not permitted"


def test_query_arguments_are_recorded(api: ApiHarness) -> None:
    api.client(Role.ADMIN).delete("/api/v1/tokens/ghost?reason=left&token=abc")
    [entry] = api.store.audit.list(action="tokens.revoke")
    assert entry.arguments == {"query": {"reason": "left", "token": "***"}}
    assert (entry.outcome, entry.error) == (Outcome.BAD_INPUT, "no token named 'ghost'")


def test_the_created_token_is_never_recorded(api: ApiHarness) -> None:
    token = (
        api.client(Role.ADMIN).post("/api/v1/tokens", json={"name": "ci", "role": "viewer"}).json()["token"]
    )
    dump = repr([entry.to_json() for entry in api.store.audit.list()])
    assert token not in dump


def test_reads_and_unknown_routes_are_not_recorded(api: ApiHarness) -> None:
    before = api.store.audit.count()
    api.client(Role.ADMIN).get("/api/v1/tokens")
    api.client(Role.ADMIN).post("/api/v1/nothing-here", json={})
    api.client(Role.ADMIN).put("/api/v1/tokens", json={})
    assert api.store.audit.count() == before


def test_every_mutating_route_names_its_audit_action(api: ApiHarness) -> None:
    # The route's ``name`` is the audited action: give each mutating route ``name="resource.verb"``.
    unnamed = [
        f"{sorted(route.methods or ())} {route.path} name={route.name!r}"
        for route in iter_route_contexts(api.app.routes)
        if set(route.methods or ()) & MUTATING_METHODS
        and not re.fullmatch(r"[a-z][a-z_]*(\.[a-z][a-z_]*)+", route.name or "")
    ]
    assert unnamed == []
