"""The CLI's HTTP client: finding the server and token, and mapping errors to exit codes."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import httpx
import pytest

from fleetops.cli.client import ApiClient, ServerAddress, connect, locate_server, raise_for_status
from fleetops.errors import BadInput, FleetopsError, NotAuthorised, Refused
from fleetops.testing.server import RunningServer


def _state(tmp_path: Path, url: str = "http://127.0.0.1:9", token: str | None = "fo_file") -> Path:
    state = tmp_path / ".fleetops"
    state.mkdir()
    (state / "server.json").write_text(json.dumps({"url": url + "/", "pid": 1}))
    if token is not None:
        (state / "token").write_text(token + "\n")
    return state


def test_finds_url_and_token_in_the_state_dir(tmp_path: Path) -> None:
    assert locate_server(_state(tmp_path)) == ServerAddress("http://127.0.0.1:9", "fo_file")


def test_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLEETOPS_URL", "http://fleet.example:8417")
    monkeypatch.setenv("FLEETOPS_TOKEN", "fo_env")
    assert locate_server(_state(tmp_path)) == ServerAddress("http://fleet.example:8417", "fo_env")


def test_no_token_file_means_no_token(tmp_path: Path) -> None:
    assert locate_server(_state(tmp_path, token=None)).token is None


def test_no_server_says_how_to_start_one(tmp_path: Path) -> None:
    with pytest.raises(FleetopsError) as caught:
        locate_server(tmp_path / ".fleetops")
    assert caught.value.message == (
        f"no fleetops server found: {tmp_path}/.fleetops/server.json does not exist; start one with "
        "`fleetops server`, or set FLEETOPS_URL to a server's URL"
    )


def test_unreachable_server_is_a_failure_not_a_crash(tmp_path: Path) -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    with (
        ApiClient(ServerAddress(f"http://127.0.0.1:{port}", None)) as api,
        pytest.raises(FleetopsError) as caught,
    ):
        api.get("/health")
    assert caught.value.message.startswith(f"cannot reach the fleetops server at http://127.0.0.1:{port} (")
    assert caught.value.exit_code == 1


def _response(status: int, body: object) -> httpx.Response:
    return httpx.Response(status, json=body, request=httpx.Request("GET", "http://x/api/v1/y"))


@pytest.mark.parametrize(
    ("status", "error"),
    [(401, NotAuthorised), (403, NotAuthorised), (423, Refused), (400, BadInput), (404, BadInput),
     (409, BadInput), (422, BadInput), (500, FleetopsError), (503, FleetopsError)],
)  # fmt: skip
def test_statuses_map_to_exit_codes(status: int, error: type[FleetopsError]) -> None:
    with pytest.raises(FleetopsError) as caught:
        raise_for_status(_response(status, {"error": "x", "message": "what went wrong"}))
    assert type(caught.value) is error
    assert caught.value.message == (
        "the server failed: what went wrong" if status >= 500 else "what went wrong"
    )


def test_problems_are_kept() -> None:
    with pytest.raises(BadInput) as caught:
        raise_for_status(_response(422, {"error": "invalid_request", "message": "m", "problems": ["a", "b"]}))
    assert caught.value.problems == ["a", "b"]


def test_a_body_that_is_not_json_still_gives_the_status() -> None:
    response = httpx.Response(502, text="<html>bad gateway</html>", request=httpx.Request("GET", "http://x/"))
    with pytest.raises(FleetopsError, match=r"^the server failed: HTTP 502 Bad Gateway$"):
        raise_for_status(response)


def test_talks_to_a_real_server(server: RunningServer) -> None:
    with connect(server.state_dir) as api:
        assert api.get("/whoami") == {"name": "admin", "role": "admin"}


def test_missing_token_is_refused_with_a_hint(server: RunningServer) -> None:
    with ApiClient(ServerAddress(server.url, None)) as api, pytest.raises(NotAuthorised) as caught:
        api.get("/whoami")
    assert caught.value.message == (
        "no API token: send 'Authorization: Bearer <token>' (fleetops token create); "
        "set FLEETOPS_TOKEN, or run where .fleetops/token exists"
    )
