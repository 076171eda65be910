"""``fleetops secrets`` against a real server: values go in, come out only with --reveal as admin."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from fleetops.testing.server import RunningServer, run_cli

VALUE = "cli-value-5d2e8f10aa"
NEXT = "cli-value-next-77c3b9"


def _cli(server: RunningServer, *args: str, token: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {"FLEETOPS_TOKEN": token} if token is not None else None
    return run_cli(list(args), cwd=server.state_dir.parent, env=env)


def _put(server: RunningServer, tmp_path: Path, name: str, value: str) -> dict[str, object]:
    value_file = tmp_path / f"{name}.txt"
    value_file.write_text(value + "\n")
    put = _cli(server, "secrets", "put", name, "--value-file", str(value_file), "--env", "dev", "-o", "json")
    assert put.returncode == 0, put.stderr
    answer: dict[str, object] = json.loads(put.stdout)
    return answer


def test_put_twice_then_reveal_current_and_previous(server: RunningServer, tmp_path: Path) -> None:
    first = _put(server, tmp_path, "api-key", VALUE)
    second = _put(server, tmp_path, "api-key", NEXT)
    assert (first["number"], first["stages"], second["number"], second["stages"]) == (
        1,
        ["AWSCURRENT"],
        2,
        ["AWSCURRENT"],
    )
    assert VALUE not in json.dumps(first) and NEXT not in json.dumps(second)
    current = _cli(server, "secrets", "get", "api-key", "--reveal", "--env", "dev")
    previous = _cli(
        server, "secrets", "get", "api-key", "--reveal", "--version-stage", "AWSPREVIOUS", "--env", "dev"
    )
    assert (current.returncode, current.stdout, previous.returncode, previous.stdout) == (
        0,
        NEXT + "\n",
        0,
        VALUE + "\n",
    )


def test_versions_show_labels_and_never_values(server: RunningServer, tmp_path: Path) -> None:
    _put(server, tmp_path, "labels-key", VALUE)
    _put(server, tmp_path, "labels-key", NEXT)
    listed = _cli(server, "secrets", "versions", "labels-key", "--env", "dev", "-o", "json")
    assert listed.returncode == 0, listed.stderr
    versions = json.loads(listed.stdout)
    assert [(v["number"], v["stages"], v["source"]) for v in versions] == [
        (1, ["AWSPREVIOUS"], "put"),
        (2, ["AWSCURRENT"], "put"),
    ]
    for command in ("versions", "history", "describe"):
        shown = _cli(server, "secrets", command, "labels-key", "--env", "dev")
        assert shown.returncode == 0, shown.stderr
        assert VALUE not in shown.stdout and NEXT not in shown.stdout


def test_get_without_reveal_prints_nothing_and_exits_2(server: RunningServer, tmp_path: Path) -> None:
    _put(server, tmp_path, "quiet-key", VALUE)
    result = _cli(server, "secrets", "get", "quiet-key", "--env", "dev")
    assert (result.returncode, result.stdout) == (2, "")
    assert "prints the value only with --reveal" in result.stderr


def test_reveal_is_refused_to_an_operator_and_audited_without_the_value(
    server: RunningServer, tmp_path: Path
) -> None:
    _put(server, tmp_path, "audited-key", VALUE)
    created = json.loads(
        _cli(server, "token", "create", "sec-ops", "--role", "operator", "-o", "json").stdout
    )
    refused = _cli(
        server, "secrets", "get", "audited-key", "--reveal", "--env", "dev", token=created["token"]
    )
    assert (refused.returncode, refused.stdout, refused.stderr) == (
        4,
        "",
        "error: token 'sec-ops' has role operator; this needs admin or above\n",
    )
    assert _cli(server, "secrets", "get", "audited-key", "--reveal", "--env", "dev").returncode == 0
    audit = _cli(server, "audit", "--action", "secrets.*", "-o", "json")
    assert audit.returncode == 0, audit.stderr
    entries = json.loads(audit.stdout)["entries"]
    reveals = [
        (e["actor"], e["action"], e["outcome"])
        for e in entries
        if e["target"] == "secrets/audited-key/reveal"
    ]
    assert sorted(reveals) == [
        ("admin", "secrets.reveal", "success"),
        ("sec-ops", "secrets.reveal", "refused"),
    ]
    assert VALUE not in audit.stdout


def test_put_generate_makes_a_value_and_an_unknown_name_is_404(server: RunningServer) -> None:
    made = _cli(server, "secrets", "put", "made-key", "--generate", "--env", "dev", "-o", "json")
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["source"] == "generated"
    revealed = _cli(server, "secrets", "get", "made-key", "--reveal", "--env", "dev")
    assert len(revealed.stdout.strip()) == 32
    missing = _cli(server, "secrets", "versions", "no-such-key", "--env", "dev")
    assert (missing.returncode, missing.stderr) == (
        2,
        "error: no secret 'no-such-key' in environment 'dev'\n",
    )
