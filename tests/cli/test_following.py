"""Following long operations (``--wait``) where the output is not a terminal, Ctrl-C while
following, and the commands that follow or end an operation: ``executions describe --wait``,
``rollout status|cancel``, ``stop --wait``. A real server, real processes behind HAProxy."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from fleetops.testing.fleet_files import write_fleet
from fleetops.testing.server import cli_env, run_cli

pytestmark = [pytest.mark.haproxy, pytest.mark.slow]

LINE = re.compile(r"^\d\d:\d\d:\d\dZ ")


@pytest.fixture(scope="module")
def fleet_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One running fleet for the module (its tests run in order and build on each other)."""
    folder = tmp_path_factory.mktemp("following") / "shop"
    bake = {"bake_time": "1s"}
    write_fleet(folder, {"menu": {"deploy": bake}, "notifications": {"deploy": bake, "depends_on": ["menu"]}})
    try:
        up = run_cli(["up", "-o", "json"], cwd=folder, timeout=120)
        assert up.returncode == 0, up.stderr
        yield folder
    finally:
        run_cli(["down"], cwd=folder, timeout=60)


def _cli(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(list(args), cwd=folder, timeout=180)


def _start(folder: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "fleetops", *args],
        cwd=folder,
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_deploy_wait_prints_a_flushed_line_per_change_when_not_a_terminal(fleet_dir: Path) -> None:
    process = _start(fleet_dir, "deploy", "dev", "--version", "v2", "--wait")
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        # Printed (and flushed) while the deployment runs, not at its end.
        still_running = process.poll() is None
        out, err = process.communicate(timeout=180)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert still_running
    assert re.fullmatch(r"\d\d:\d\d:\d\dZ started deploy (deploy-dev-\S+)\n", first), first
    name = first.split()[-1]
    lines = out.splitlines()
    assert all(LINE.match(line) for line in lines), out
    said = [line.split(" ", 1)[1] for line in lines]
    assert f"{name}: menu (wave 1) v2 Successful 100%: Instance refresh completed." in said
    assert f"{name}: notifications (wave 2) v2 Successful 100%: Instance refresh completed." in said
    assert said[-1] == f"{name}: SUCCEEDED"
    assert len(said) == len(set(said)), "a line is printed again only when it changed"


def test_ctrl_c_while_following_says_it_goes_on_and_how_to_follow_or_stop_it(fleet_dir: Path) -> None:
    process = _start(fleet_dir, "deploy", "dev", "--version", "v3", "--wait")
    try:
        assert process.stdout is not None
        name = process.stdout.readline().split()[-1]
        process.stdout.readline()  # its first progress line: following has begun
        process.send_signal(signal.SIGINT)
        _out, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 130
    assert err == (
        f"error: stopped following; {name} goes on in the control plane: follow it with "
        f"`fleetops executions describe {name} --wait`, stop it with `fleetops stop {name}`\n"
    )
    followed = _cli(fleet_dir, "executions", "describe", name, "--wait", "-o", "json")
    assert followed.returncode == 0, followed.stderr
    assert json.loads(followed.stdout)["status"] == "SUCCEEDED"
    done = f"{name}: notifications (wave 2) v3 Successful 100%: Instance refresh completed."
    assert done in followed.stderr


def test_rollout_wait_prints_its_progress_and_rollout_status_shows_it(fleet_dir: Path) -> None:
    rolled = _cli(fleet_dir, "rollout", "menu", "v4", "--rollout-id", "r-menu-v4", "--wait")
    assert rolled.returncode == 0, rolled.stderr
    *progress, result = rolled.stdout.splitlines()
    said = [line.split(" ", 1)[1] for line in progress if LINE.match(line)]
    done = "rollout r-menu-v4: menu -> v4 Successful 100%: Instance refresh completed."
    assert (said[0], said[-1], result) == ("started rollout r-menu-v4: menu -> v4", done, done)

    status = _cli(fleet_dir, "rollout", "status", "r-menu-v4")
    assert (status.returncode, status.stdout) == (0, done + "\n")


def test_rollout_cancel_cancels_one_in_flight(fleet_dir: Path) -> None:
    slow = '{"MinHealthyPercentage": 100, "InstanceWarmup": 30}'
    started = _cli(fleet_dir, "rollout", "menu", "v5", "--rollout-id", "r-menu-v5", "--preferences", slow)
    assert started.returncode == 0, started.stderr
    cancelled = _cli(fleet_dir, "rollout", "cancel", "r-menu-v5", "-o", "json")
    assert cancelled.returncode == 0, cancelled.stderr
    ended = _cli(fleet_dir, "rollout", "status", "r-menu-v5", "--wait", "-o", "json")
    assert json.loads(ended.stdout)["status"] == "Cancelled"
    assert ended.returncode == 1


def test_stop_wait_follows_the_rollback_to_its_end(fleet_dir: Path) -> None:
    started = json.loads(_cli(fleet_dir, "deploy", "dev", "--version", "v6", "-o", "json").stdout)
    stopped = _cli(fleet_dir, "stop", started["execution"], "--wait")
    assert stopped.returncode == 0, stopped.stderr
    lines = stopped.stdout.splitlines()
    assert lines[0].startswith(f"stopped {started['execution']} (ABORTED)")
    if "rolling back with" in lines[0]:
        rollback = lines[0].rsplit(" ", 1)[1]
        assert lines[-1].endswith(f" {rollback}: SUCCEEDED")
    status = json.loads(_cli(fleet_dir, "status", "-o", "json").stdout)
    assert {s["name"]: s["versions"] for s in status["services"]} == {"menu": ["v3"], "notifications": ["v3"]}


def test_alarms_of_a_named_environment(fleet_dir: Path) -> None:
    listed = _cli(fleet_dir, "alarms", "--env", "dev", "-o", "json")
    assert (listed.returncode, json.loads(listed.stdout)) == (0, [])


def test_rollback_and_deploy_say_which_services_they_leave_as_they_are(fleet_dir: Path) -> None:
    rolled = _cli(fleet_dir, "rollback", "dev", "--wait")
    assert rolled.returncode == 0, rolled.stderr
    name = rolled.stdout.splitlines()[0].split()[-1]
    said = [line.split(" ", 1)[1] for line in rolled.stdout.splitlines()]
    # Reverse dependency order, as a rollback goes; the RUNNING line only if a look caught it.
    assert [line for line in said[1:] if line != f"{name}: RUNNING"] == [
        f"{name}: notifications is already on its last verified release v3, nothing to do",
        f"{name}: menu is already on its last verified release v3, nothing to do",
        f"{name}: SUCCEEDED",
    ]
    described = _cli(fleet_dir, "executions", "describe", name)
    assert "menu is already on its last verified release v3, nothing to do\n" in described.stdout
    assert "wave" not in described.stdout  # no empty table

    deployed = _cli(fleet_dir, "deploy", "dev", "--version", "v3", "--services", "menu", "--wait")
    assert deployed.returncode == 0, deployed.stderr
    skipped = re.search(r": menu is already on v3 \(release #\d+, verified\)\n", deployed.stdout)
    assert skipped, deployed.stdout


def test_logs_f_follows_and_e_names_the_environment(fleet_dir: Path) -> None:
    status = _cli(fleet_dir, "status", "-e", "dev", "-o", "json")
    assert (status.returncode, json.loads(status.stdout)["environment"]) == (0, "dev")
    process = _start(fleet_dir, "logs", "menu", "-f", "-e", "dev", "--limit", "1", "-o", "json")
    try:
        assert process.stdout is not None
        first = json.loads(process.stdout.readline())
        second = json.loads(process.stdout.readline())  # a record written after the first look
        still_following = process.poll() is None
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
    finally:
        process.kill()
    assert (first["service"], second["service"], still_following) == ("menu", "menu", True)
    assert second["timestamp"] > first["timestamp"]
    assert process.returncode == 0


def test_status_watch_prints_the_status_at_once_when_not_a_terminal(fleet_dir: Path) -> None:
    process = _start(fleet_dir, "status", "--watch")
    try:
        assert process.stdout is not None
        # Printed (and flushed) before any Ctrl-C: the services table, its title first.
        first = process.stdout.readline()
        menu = next(line for line in process.stdout if line.startswith(("│ menu ", "└")))
        still_watching = process.poll() is None
        process.send_signal(signal.SIGINT)
        _out, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert (first.strip(), menu.split("│")[1].strip(), still_watching) == ("test (dev)", "menu", True)
    assert (process.returncode, err) == (0, "")


def test_logs_follow_with_nothing_to_print_says_it_follows_on_stderr(fleet_dir: Path) -> None:
    process = _start(fleet_dir, "logs", "menu", "--filter", "{ $.status >= 500 }", "--follow")
    try:
        assert process.stderr is not None
        said = process.stderr.readline()
        still_following = process.poll() is None
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert (said, still_following) == ("following menu's logs: nothing yet; Ctrl-C stops\n", True)
    assert (process.returncode, out, err) == (0, "", "")


def test_commands_find_the_fleet_from_a_subfolder(fleet_dir: Path) -> None:
    deeper = fleet_dir / "docs" / "notes"
    deeper.mkdir(parents=True)
    status = run_cli(["status", "-o", "json"], cwd=deeper)
    releases = run_cli(["releases", "menu", "-o", "json"], cwd=deeper)
    assert (status.returncode, json.loads(status.stdout)["fleet"]) == (0, "test"), status.stderr
    assert releases.returncode == 0 and json.loads(releases.stdout)[0]["service"] == "menu", releases.stderr


def test_rollback_to_a_named_verified_release(fleet_dir: Path) -> None:
    releases = json.loads(_cli(fleet_dir, "releases", "menu", "--env", "dev", "-o", "json").stdout)
    number = next(r["number"] for r in releases if (r["version"], r["status"]) == ("v2", "verified"))
    rolled = _cli(fleet_dir, "rollback", "dev", "--services", "menu", "--to-release", str(number), "--wait")
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr
    status = json.loads(_cli(fleet_dir, "status", "-o", "json").stdout)
    assert {s["name"]: s["versions"] for s in status["services"]} == {"menu": ["v2"], "notifications": ["v3"]}
    # menu runs v2, its last verified release is v3: status marks the drift.
    drift = {s["name"]: (s["drift"], s["last_verified"]["version"]) for s in status["services"]}
    assert drift == {"menu": (True, "v3"), "notifications": (False, "v3")}
    table = _cli(fleet_dir, "status").stdout
    assert re.search(r"menu .* v3 \(#\d+\) drift", table), table

    unknown = _cli(fleet_dir, "rollback", "dev", "--services", "menu", "--to-release", "999")
    assert (unknown.returncode, unknown.stderr) == (
        2,
        "error: menu has no release #999 in dev (see `fleetops releases menu`)\n",
    )
    several = _cli(fleet_dir, "rollback", "dev", "--to-release", str(number))
    assert several.returncode == 2
    assert "--to-release needs exactly one service (--services NAME)" in several.stderr


def test_blocks_lists_the_blocked_services(fleet_dir: Path) -> None:
    assert _cli(fleet_dir, "block", "menu", "--env", "dev", "--reason", "card outage").returncode == 0
    listed = _cli(fleet_dir, "blocks", "-o", "json")
    assert [(b["service"], b["environment"], b["reason"]) for b in json.loads(listed.stdout)] == [
        ("menu", "dev", "card outage")
    ]
    assert _cli(fleet_dir, "unblock", "menu", "--env", "dev").returncode == 0
    empty = _cli(fleet_dir, "blocks")
    assert (empty.returncode, empty.stdout) == (0, "no service is blocked\n")
