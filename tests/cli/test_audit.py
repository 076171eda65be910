"""``fleetops audit`` against a real server."""

from __future__ import annotations

import json

from fleetops.testing.server import RunningServer, run_cli


def test_audit_lists_changes_made_through_the_cli(server: RunningServer) -> None:
    cwd = server.state_dir.parent
    assert run_cli(["token", "create", "audited", "--role", "viewer"], cwd=cwd).returncode == 0
    assert run_cli(["token", "create", "audited", "--role", "viewer"], cwd=cwd).returncode == 2
    result = run_cli(["audit", "--action", "tokens.create", "--limit", "5", "-o", "json"], cwd=cwd)
    assert result.returncode == 0, result.stderr
    page = json.loads(result.stdout)
    assert [(e["actor"], e["target"], e["arguments"], e["outcome"]) for e in page["entries"]] == [
        ("admin", "tokens", {"name": "audited", "role": "viewer"}, "bad_input"),
        ("admin", "tokens", {"name": "audited", "role": "viewer"}, "success"),
    ]
    assert (
        page["entries"][0]["error"]
        == "a token named 'audited' already exists: revoke it first or pick another name"
    )


def test_audit_table_says_how_many(server: RunningServer) -> None:
    result = run_cli(["audit", "--action", "tokens.bootstrap"], cwd=server.state_dir.parent)
    assert result.returncode == 0, result.stderr
    assert "tokens.bootstrap" in result.stdout
    assert result.stdout.endswith("1 of 1 entries\n")


def test_bad_filter_is_bad_input_naming_the_field(server: RunningServer) -> None:
    result = run_cli(["audit", "--outcome", "meh"], cwd=server.state_dir.parent)
    assert result.returncode == 2
    assert result.stderr == (
        "error: invalid request: --outcome: Input should be 'success', 'failed', 'bad_input' or "
        "'refused' (got 'meh')\n"
    )


def test_since_takes_a_duration_or_an_iso_time(server: RunningServer) -> None:
    cwd = server.state_dir.parent
    recent = run_cli(["audit", "--action", "tokens.bootstrap", "--since", "1h", "-o", "json"], cwd=cwd)
    assert recent.returncode == 0, recent.stderr
    assert [e["action"] for e in json.loads(recent.stdout)["entries"]] == ["tokens.bootstrap"]
    future = run_cli(["audit", "--since", "2999-01-01T00:00:00", "-o", "json"], cwd=cwd)
    assert (future.returncode, json.loads(future.stdout)["entries"]) == (0, [])
    bad = run_cli(["audit", "--since", "yesterday"], cwd=cwd)
    assert (bad.returncode, bad.stderr) == (
        2,
        "error: --since 'yesterday': give a duration back from now (30m, 1h, 7d) or an ISO 8601 time "
        "(2026-11-22T09:00:00Z)\n",
    )


def test_errors_name_the_option_typed(server: RunningServer) -> None:
    result = run_cli(["maintenance", "on", "--env", "dev", "--for", "soon"], cwd=server.state_dir.parent)
    assert result.returncode == 2
    assert result.stderr.startswith("error: invalid request: --for: "), result.stderr
    assert "body." not in result.stderr
