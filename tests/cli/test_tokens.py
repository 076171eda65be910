"""``fleetops token create|list|revoke`` against a real server."""

from __future__ import annotations

import json
import re

from fleetops.testing.server import RunningServer, run_cli


def _cli(server: RunningServer, *args: str, token: str | None = None):  # type: ignore[no-untyped-def]
    env = {"FLEETOPS_TOKEN": token} if token else None
    return run_cli(list(args), cwd=server.state_dir.parent, env=env)


def test_create_prints_the_token_once_and_it_works(server: RunningServer) -> None:
    created = _cli(server, "token", "create", "ci", "--role", "operator", "--output", "json")
    assert created.returncode == 0, created.stderr
    body = json.loads(created.stdout)
    assert (body["name"], body["role"]) == ("ci", "operator")
    whoami = _cli(server, "token", "list", token=body["token"])
    assert whoami.returncode == 4
    assert whoami.stderr == "error: token 'ci' has role operator; this needs admin or above\n"


def test_create_table_output_shows_the_token(server: RunningServer) -> None:
    created = _cli(server, "token", "create", "tabled", "--role", "viewer")
    assert created.returncode == 0, created.stderr
    assert created.stderr == "token tabled (viewer) created; store it now, it is shown once:\n"
    assert re.fullmatch(r"fo_\S+\n", created.stdout), created.stdout


def test_list_shows_names_and_roles(server: RunningServer) -> None:
    _cli(server, "token", "create", "lister", "--role", "viewer")
    listed = json.loads(_cli(server, "token", "list", "-o", "json").stdout)
    assert {"name": "lister", "role": "viewer"}.items() <= next(
        t for t in listed if t["name"] == "lister"
    ).items()
    assert all("token" not in t for t in listed)


def test_revoke_then_revoke_again_is_bad_input(server: RunningServer) -> None:
    _cli(server, "token", "create", "gone", "--role", "viewer")
    first = _cli(server, "token", "revoke", "gone")
    assert (first.returncode, first.stdout) == (0, "token gone revoked\n")
    again = _cli(server, "token", "revoke", "gone")
    assert (again.returncode, again.stderr) == (2, "error: no token named 'gone'\n")


def test_bad_token_is_refused(server: RunningServer) -> None:
    result = _cli(server, "token", "list", token="fo_wrong")
    assert (result.returncode, result.stderr) == (
        4,
        "error: the API token is not valid (unknown, revoked or expired)\n",
    )


def test_list_with_no_headers_prints_one_line_per_token_and_nothing_else(server: RunningServer) -> None:
    _cli(server, "token", "create", "headless", "--role", "viewer")
    listed = json.loads(_cli(server, "token", "list", "-o", "json").stdout)
    plain = _cli(server, "token", "list", "--no-headers")
    assert plain.returncode == 0, plain.stderr
    rows = [line.split() for line in plain.stdout.splitlines()]
    assert [row[:2] for row in rows] == [[t["name"], t["role"]] for t in listed]
    assert not any(character in plain.stdout for character in "│─┃━┏┗")
