"""Request bodies are bounded and their nesting limited before anything parses or records them."""

from __future__ import annotations

import json
from collections.abc import Iterator

from fleetops.server.auth import Role
from fleetops.server.body_limits import REST_BODY_LIMIT
from fleetops.store import Outcome
from fleetops.testing.api import ApiHarness

DEEP = b'{"services": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"
TOO_DEEP = "the request body nests deeper than 64 levels of arrays and objects (the limit)"


def test_an_anonymous_20_mb_body_is_refused_413_and_recorded_without_it(api: ApiHarness) -> None:
    body = {"services": ["orders"], "reason": "x" * 20_000_000}
    response = api.client(None).post("/api/v1/block", json=body)
    assert response.status_code == 413
    assert response.json()["error"] == "too_large"
    [entry] = api.store.audit.list(action="blocks.add")
    assert (entry.actor, entry.arguments, entry.outcome) == ("anonymous", {}, Outcome.BAD_INPUT)
    assert entry.error is not None
    assert entry.error.endswith(f"is larger than this endpoint accepts ({REST_BODY_LIMIT} bytes)")


def test_a_streamed_body_without_a_length_is_cut_at_the_limit(api: ApiHarness) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"services": ["orders"], "reason": "'
        for _ in range(40):
            yield b"x" * 65_536

    response = api.client(Role.OPERATOR).post(
        "/api/v1/block", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["message"].startswith("the request body (")
    assert api.store.maintenance.blocks(None) == []


def test_a_body_nested_10000_levels_is_400_and_the_call_is_recorded(api: ApiHarness) -> None:
    client = api.client(Role.OPERATOR)
    response = client.post("/api/v1/block", content=DEEP, headers={"content-type": "application/json"})
    assert (response.status_code, response.json()) == (400, {"error": "bad_request", "message": TOO_DEEP})
    [entry] = api.store.audit.list(action="blocks.add")
    # Refused while the body is read, which FastAPI does before it authenticates the caller.
    assert (entry.actor, entry.arguments, entry.outcome, entry.error) == (
        "anonymous",
        {},
        Outcome.BAD_INPUT,
        TOO_DEEP,
    )


def test_a_body_nested_64_levels_is_read(api: ApiHarness) -> None:
    nested = "[" * 63 + "]" * 63
    body = f'{{"services": {nested}, "reason": "r"}}'
    response = api.client(Role.OPERATOR).post(
        "/api/v1/block", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422  # read and validated: a list of lists is not a list of names


def test_audit_arguments_are_clipped_to_a_summary(api: ApiHarness) -> None:
    body = {"services": ["orders"] * 500, "reason": "r" * 100_000}
    response = api.client(Role.OPERATOR).post("/api/v1/block", json=body)
    assert response.status_code == 422
    [entry] = api.store.audit.list(action="blocks.add")
    assert entry.arguments == {
        "services": ["orders"] * 10 + ["… 490 more items"],
        "reason": "r" * 100 + "… (100000 characters)",
    }


def test_an_unknown_token_is_recorded_with_its_first_characters(api: ApiHarness) -> None:
    response = api.client(token="fo_abcdefghijklmnop").post("/api/v1/block", json={"services": ["orders"]})
    assert response.status_code == 401
    [entry] = api.store.audit.list(action="blocks.add")
    assert (entry.actor, entry.outcome, entry.error) == (
        "anonymous",
        Outcome.REFUSED,
        "the API token is not valid (unknown, revoked or expired) (token tried: fo_abcdef…)",
    )


def test_an_import_is_recorded_by_its_size_not_its_payload(api: ApiHarness) -> None:
    document = {"format": "fleetops.executions/1", "executions": []}
    raw = json.dumps(document)
    response = api.client(Role.ADMIN).post(
        "/api/v1/executions/import", content=raw, headers={"content-type": "application/json"}
    )
    assert response.json() == {"imported": 0, "skipped": 0}
    [entry] = api.store.audit.list(action="executions.import")
    assert entry.arguments == {"bytes": len(raw), "executions": 0}


def test_an_import_is_read_only_for_an_admin(api: ApiHarness) -> None:
    response = api.client(Role.OPERATOR).post("/api/v1/executions/import", content=b"x" * 3_000_000)
    assert response.status_code == 403
    [entry] = api.store.audit.list(action="executions.import")
    assert entry.arguments == {}
