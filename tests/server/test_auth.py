"""Tokens, roles, and the admin token created on first start."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from fleetops.server.app import create_app
from fleetops.server.auth import Role, token_digest
from fleetops.server.settings import ServerSettings
from fleetops.testing.api import ApiHarness


def test_roles_are_ordered() -> None:
    assert [role for role in Role if role.allows(Role.OPERATOR)] == [Role.OPERATOR, Role.ADMIN]


def test_first_start_writes_a_working_admin_token_readable_only_by_its_owner(api: ApiHarness) -> None:
    path = api.state_dir / "token"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    token = path.read_text().strip()
    assert api.client(token=token).get("/api/v1/whoami").json() == {"name": "admin", "role": "admin"}
    [bootstrap] = api.store.audit.list(action="tokens.bootstrap")
    assert (bootstrap.actor, bootstrap.target) == ("fleetops-server", "tokens/admin")


def test_the_store_keeps_only_the_digest(api: ApiHarness) -> None:
    token = api.tokens[Role.ADMIN]
    record = api.store.tokens.find_by_digest(token_digest(token))
    assert record is not None
    assert record.name == "admin"
    assert api.store.tokens.find_by_digest(token) is None


def test_a_second_start_creates_no_token(tmp_path: Path) -> None:
    state = tmp_path / "state"
    first = create_app(ServerSettings(state_dir=state))
    token = (state / "token").read_text()
    first.state.store.close()
    second = create_app(ServerSettings(state_dir=state))
    assert (state / "token").read_text() == token
    assert second.state.store.tokens.count() == 1
    second.state.store.close()


def test_unknown_token_is_401_with_a_bearer_challenge(api: ApiHarness) -> None:
    response = api.client(token="fo_nope").get("/api/v1/whoami")
    assert (response.status_code, response.headers["www-authenticate"]) == (401, "Bearer")
    assert response.json() == {
        "error": "unauthenticated",
        "message": "the API token is not valid (unknown, revoked or expired)",
    }


def test_missing_token_is_401_and_says_how_to_send_one(api: ApiHarness) -> None:
    response = api.client(None).get("/api/v1/whoami")
    assert response.status_code == 401
    assert response.json() == {
        "error": "unauthenticated",
        "message": "no API token: send 'Authorization: Bearer <token>' (fleetops token create)",
    }


def test_too_low_role_is_403_and_names_the_roles(api: ApiHarness) -> None:
    response = api.client(Role.OPERATOR).get("/api/v1/audit")
    assert response.status_code == 403
    assert response.json() == {
        "error": "forbidden",
        "message": "token 'operator' has role operator; this needs admin or above",
    }


@pytest.mark.parametrize("scheme", ["Basic", "Token", ""])
def test_other_authorization_schemes_are_401(api: ApiHarness, scheme: str) -> None:
    client = api.client(None)
    response = client.get("/api/v1/whoami", headers={"Authorization": f"{scheme} {api.tokens[Role.ADMIN]}"})
    assert response.status_code == 401
