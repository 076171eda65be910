"""``/api/v1/tokens``: create (shown once), list, revoke."""

from __future__ import annotations

from fleetops.server.auth import Role
from fleetops.testing.api import ApiHarness


def test_created_token_works_with_its_role(api: ApiHarness) -> None:
    response = api.client(Role.ADMIN).post("/api/v1/tokens", json={"name": "ci-bot", "role": "operator"})
    assert response.status_code == 201
    body = response.json()
    assert (body["name"], body["role"], body["created_by"]) == ("ci-bot", "operator", "admin")
    assert body["token"].startswith("fo_")
    whoami = api.client(token=body["token"]).get("/api/v1/whoami").json()
    assert whoami == {"name": "ci-bot", "role": "operator"}


def test_list_shows_no_secret(api: ApiHarness) -> None:
    tokens = api.client(Role.ADMIN).get("/api/v1/tokens").json()["tokens"]
    assert [(t["name"], t["role"]) for t in tokens] == [
        ("admin", "admin"),
        ("operator", "operator"),
        ("viewer", "viewer"),
    ]
    assert all(set(t) == {"name", "role", "created_at", "created_by"} for t in tokens)


def test_duplicate_name_is_409(api: ApiHarness) -> None:
    response = api.client(Role.ADMIN).post("/api/v1/tokens", json={"name": "viewer", "role": "admin"})
    assert response.status_code == 409
    assert response.json() == {
        "error": "conflict",
        "message": "a token named 'viewer' already exists: revoke it first or pick another name",
    }
    assert api.store.tokens.get("viewer").role == "viewer"  # type: ignore[union-attr]


def test_bad_body_names_each_field_and_changes_nothing(api: ApiHarness) -> None:
    response = api.client(Role.ADMIN).post("/api/v1/tokens", json={"name": "-x", "role": "root"})
    assert response.status_code == 422
    assert response.json()["problems"] == [
        "body.name: String should match pattern '^[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}$' (got '-x')",
        "body.role: Input should be 'viewer', 'operator' or 'admin' (got 'root')",
    ]
    assert api.store.tokens.count() == 3


def test_missing_field_is_named(api: ApiHarness) -> None:
    response = api.client(Role.ADMIN).post("/api/v1/tokens", json={"name": "x"})
    assert response.json() == {
        "error": "invalid_request",
        "message": "invalid request: body.role: Field required",
        "problems": ["body.role: Field required"],
    }


def test_revoked_token_stops_working(api: ApiHarness) -> None:
    response = api.client(Role.ADMIN).delete("/api/v1/tokens/operator")
    assert (response.status_code, response.json()) == (200, {"name": "operator", "revoked": True})
    assert api.client(Role.OPERATOR).get("/api/v1/whoami").status_code == 401


def test_revoking_an_unknown_token_is_404(api: ApiHarness) -> None:
    response = api.client(Role.ADMIN).delete("/api/v1/tokens/ghost")
    assert (response.status_code, response.json()) == (
        404,
        {"error": "not_found", "message": "no token named 'ghost'"},
    )


def test_the_last_admin_token_cannot_be_revoked(api: ApiHarness) -> None:
    response = api.client(Role.ADMIN).delete("/api/v1/tokens/admin")
    assert response.status_code == 409
    assert response.json()["message"] == (
        "'admin' is the last admin token: create another admin token before revoking it"
    )
    created = api.client(Role.ADMIN).post("/api/v1/tokens", json={"name": "admin2", "role": "admin"})
    assert created.status_code == 201
    assert api.client(Role.ADMIN).delete("/api/v1/tokens/admin").status_code == 200
