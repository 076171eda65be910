"""Two environments on one control plane, and ``fleetops promote dev stage`` between them, end to
end: a real server, real processes behind HAProxy per environment, the deploy runbook with its
approval gate (stage has ``approval: required``)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from fleetops.cli.client import ApiClient
from fleetops.cli.up import client_for, state_dir_of
from fleetops.providers.local.process import process_alive
from fleetops.server.settings import environment_state_dir, read_server_file
from fleetops.testing.fleet_files import fleet_document
from fleetops.testing.server import run_cli

pytestmark = [pytest.mark.haproxy, pytest.mark.slow]


def _write_fleet(folder: Path) -> None:
    document = fleet_document({"menu": {}, "notifications": {"depends_on": ["menu"]}})
    document["environments"] = {
        "dev": {"provider": "local"},
        "stage": {"provider": "local", "promote_from": "dev", "approval": "required"},
    }
    folder.mkdir(parents=True)
    (folder / "fleet.yaml").write_text(yaml.safe_dump(document, sort_keys=False))


def _cli(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(list(args), cwd=folder, timeout=180)


def _versions(folder: Path, env: str) -> dict[str, list[str]]:
    done = _cli(folder, "status", "--env", env, "-o", "json")
    assert done.returncode == 0, done.stderr
    return {s["name"]: s["versions"] for s in json.loads(done.stdout)["services"]}


def _client(folder: Path) -> ApiClient:
    state_dir = state_dir_of(folder / "fleet.yaml")
    info = read_server_file(state_dir)
    assert info is not None
    return client_for(state_dir, info)


def _promote_waiting_for_approval(folder: Path) -> str:
    """Start ``promote dev stage``; its execution name once it waits at the approval gate."""
    started = _cli(folder, "promote", "dev", "stage", "-o", "json")
    assert started.returncode == 0, started.stderr
    name: str = json.loads(started.stdout)["execution"]
    with _client(folder) as api:
        deadline = time.monotonic() + 30
        while not api.get(f"/deployments/{name}")["waiting_for_approval"]:
            assert time.monotonic() < deadline, f"{name} never waited for approval"
            time.sleep(0.2)
    return name


def _ended(folder: Path, name: str) -> dict[str, Any]:
    with _client(folder) as api:
        deadline = time.monotonic() + 120
        while True:
            progress: dict[str, Any] = api.get(f"/deployments/{name}")
            if progress["status"] != "RUNNING" or time.monotonic() > deadline:
                return progress
            time.sleep(0.2)


def _pids(folder: Path, env: str) -> list[int]:
    pid_dir = environment_state_dir(folder / ".fleetops", env) / "pids"
    return [int(p.read_text().split()[0]) for p in pid_dir.glob("*.pid")]


def test_promote_dev_to_stage_on_one_control_plane(tmp_path: Path) -> None:
    folder = tmp_path / "shop"
    _write_fleet(folder)
    try:
        up = _cli(folder, "up", "-o", "json")
        assert up.returncode == 0, up.stderr
        server_pid = json.loads(up.stdout)["server"]["pid"]
        deployed = _cli(folder, "deploy", "dev", "--version", "v2", "--wait", "-o", "json")
        assert deployed.returncode == 0, deployed.stderr

        not_running = _cli(folder, "promote", "dev", "stage")
        assert not_running.returncode == 3
        assert (
            "environment 'stage' is not running on this control plane (it runs dev); "
            "start it with `fleetops up --env stage`"
        ) in not_running.stderr

        up_stage = _cli(folder, "up", "--env", "stage", "-o", "json")
        assert up_stage.returncode == 0, up_stage.stderr
        added = json.loads(up_stage.stdout)
        assert (added["server"]["pid"], added["environment"], added["running"]) == (
            server_pid,
            "stage",
            ["dev", "stage"],
        )
        assert [(s["name"], s["versions"]) for s in added["services"]] == [
            ("menu", ["v1"]),
            ("notifications", ["v1"]),
        ]
        ambiguous = _cli(folder, "status")
        assert ambiguous.returncode == 2
        assert "this control plane runs environments dev, stage: name one (--env" in ambiguous.stderr

        # Nobody approves within 2 s: the promotion fails, stage is left as it was.
        timed_out = _cli(
            folder, "promote", "dev", "stage", "--approval-timeout", "2s", "--wait", "-o", "json"
        )
        assert timed_out.returncode == 1, timed_out.stderr
        assert json.loads(timed_out.stdout)["error"] == "States.Timeout"
        first = json.loads(timed_out.stdout)["execution"]
        # Progress goes to stderr under -o json; the gate names the command that approves.
        assert f"{first}: RUNNING, waiting for approval: fleetops approve {first} (or --reject)\n" in (
            timed_out.stderr
        )

        rejected = _promote_waiting_for_approval(folder)
        answer = _cli(folder, "approve", rejected, "--reject", "--reason", "not today")
        assert (answer.returncode, answer.stdout.strip()) == (0, f"rejected {rejected}")
        assert _ended(folder, rejected)["error"] == "fleetops.ApprovalRejected"
        assert _versions(folder, "stage") == {"menu": ["v1"], "notifications": ["v1"]}

        approved = _promote_waiting_for_approval(folder)
        # The admin started it: another identity approves (an approval gate's own rule).
        own = _cli(folder, "approve", approved)
        assert own.returncode == 4
        assert f"'admin' started deployment {approved} and cannot approve it" in own.stderr
        created = _cli(folder, "token", "create", "approver", "--role", "operator")
        assert created.returncode == 0, created.stderr
        token = created.stdout.strip().splitlines()[-1]
        approve = run_cli(["approve", approved], cwd=folder, env={"FLEETOPS_TOKEN": token}, timeout=180)
        assert approve.returncode == 0, approve.stderr
        progress = _ended(folder, approved)
        assert (progress["status"], progress["environment"]) == ("SUCCEEDED", "stage")
        assert [(s["service"], s["version"], s["status"]) for s in progress["services"]] == [
            ("menu", "v2", "Successful"),
            ("notifications", "v2", "Successful"),
        ]
        assert _versions(folder, "stage") == {"menu": ["v2"], "notifications": ["v2"]}
        assert _versions(folder, "dev") == {"menu": ["v2"], "notifications": ["v2"]}
        releases = json.loads(_cli(folder, "releases", "--env", "stage", "-o", "json").stdout)
        # `up --env stage` recorded each service's first release (execution "up"), verified once healthy.
        assert sorted((r["service"], r["version"], r["status"], r["execution_id"]) for r in releases) == [
            ("menu", "v1", "verified", "up"),
            ("menu", "v2", "rolled_back", first),
            ("menu", "v2", "rolled_back", rejected),
            ("menu", "v2", "verified", approved),
            ("notifications", "v1", "verified", "up"),
            ("notifications", "v2", "rolled_back", first),
            ("notifications", "v2", "rolled_back", rejected),
            ("notifications", "v2", "verified", approved),
        ]

        # The control plane dies: `up` brings it back with both environments, as they were.
        os.kill(server_pid, signal.SIGKILL)
        again = _cli(folder, "up", "-o", "json")
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout)["running"] == ["dev", "stage"]
        assert _versions(folder, "stage") == {"menu": ["v2"], "notifications": ["v2"]}

        stage_pids = _pids(folder, "stage")
        down_stage = _cli(folder, "down", "--env", "stage")
        assert down_stage.returncode == 0, down_stage.stderr
        assert down_stage.stdout.strip() == "stopped environment stage and its processes"
        assert [pid for pid in stage_pids if process_alive(pid)] == []
        assert _cli(folder, "status", "-o", "json").returncode == 0  # dev alone again: the default
    finally:
        down = _cli(folder, "down")
    assert down.returncode == 0, down.stderr
