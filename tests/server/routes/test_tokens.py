"""``/api/v1/tokens``: create (shown once), list, revoke."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fleetops.server.auth import Role
from fleetops.testing.api import ApiHarness
from fleetops.testing.fake_clock import FakeClock

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


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
    assert all(
        set(t)
        == {"name", "role", "created_at", "created_by", "last_used_at", "expires_at", "previous_expires_at"}
        for t in tokens
    )


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


def test_a_token_with_an_expiry_stops_working_then(api: ApiHarness) -> None:
    api.app.state.clock = FakeClock(NOW)
    body = (
        api.client(Role.ADMIN)
        .post("/api/v1/tokens", json={"name": "ci", "role": "viewer", "expires": "2h"})
        .json()
    )
    assert body["expires_at"] == "2026-11-22T11:00:00Z"
    assert api.client(token=body["token"]).get("/api/v1/whoami").status_code == 200
    api.app.state.clock = FakeClock(NOW + timedelta(hours=2))
    refused = api.client(token=body["token"]).get("/api/v1/whoami")
    assert (refused.status_code, refused.json()["message"]) == (
        401,
        "the API token is not valid (unknown, revoked or expired)",
    )


def test_a_bad_expiry_is_refused_and_creates_nothing(api: ApiHarness) -> None:
    response = api.client(Role.ADMIN).post(
        "/api/v1/tokens", json={"name": "ci", "role": "viewer", "expires": "soon"}
    )
    assert response.status_code == 400
    assert response.json()["message"].startswith("expires: ")
    assert api.store.tokens.get("ci") is None


def test_last_use_is_recorded_at_most_once_a_minute(api: ApiHarness) -> None:
    api.app.state.clock = FakeClock(NOW)
    api.client(Role.VIEWER).get("/api/v1/whoami")
    assert api.store.tokens.get("viewer").last_used_at == NOW  # type: ignore[union-attr]
    api.app.state.clock = FakeClock(NOW + timedelta(seconds=30))
    api.client(Role.VIEWER).get("/api/v1/whoami")
    assert api.store.tokens.get("viewer").last_used_at == NOW  # type: ignore[union-attr]
    api.app.state.clock = FakeClock(NOW + timedelta(seconds=61))
    api.client(Role.VIEWER).get("/api/v1/whoami")
    assert api.store.tokens.get("viewer").last_used_at == NOW + timedelta(seconds=61)  # type: ignore[union-attr]


def test_rotation_keeps_the_old_secret_for_its_grace_only(api: ApiHarness) -> None:
    api.app.state.clock = FakeClock(NOW)
    old = (
        api.client(Role.ADMIN).post("/api/v1/tokens", json={"name": "ci", "role": "operator"}).json()["token"]
    )
    rotated = api.client(Role.ADMIN).post("/api/v1/tokens/ci/rotate", json={"grace": "10m"}).json()
    assert (rotated["name"], rotated["role"], rotated["previous_expires_at"]) == (
        "ci",
        "operator",
        "2026-11-22T09:10:00Z",
    )
    new = rotated["token"]
    assert new != old
    assert api.client(token=old).get("/api/v1/whoami").json() == {"name": "ci", "role": "operator"}
    api.app.state.clock = FakeClock(NOW + timedelta(minutes=10))
    assert api.client(token=old).get("/api/v1/whoami").status_code == 401
    assert api.client(token=new).get("/api/v1/whoami").json() == {"name": "ci", "role": "operator"}


def test_rotating_an_unknown_token_is_404(api: ApiHarness) -> None:
    response = api.client(Role.ADMIN).post("/api/v1/tokens/nobody/rotate", json={})
    assert (response.status_code, response.json()["message"]) == (404, "no token named 'nobody'")


def test_a_call_to_the_aws_endpoints_is_a_use_of_its_token(api: ApiHarness) -> None:
    api.app.state.clock = FakeClock(NOW + timedelta(days=3))
    signed = (
        f"AWS4-HMAC-SHA256 Credential={api.tokens[Role.OPERATOR]}/20261125/us-east-1/states/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=0"
    )
    response = api.client().post(
        "/",
        json={},
        headers={
            "Authorization": signed,
            "X-Amz-Target": "AWSStepFunctions.ListStateMachines",
            "Content-Type": "application/x-amz-json-1.0",
        },
    )
    assert (response.status_code, response.json()) == (200, {"stateMachines": []})
    assert api.store.tokens.get("operator").last_used_at == NOW + timedelta(days=3)  # type: ignore[union-attr]
