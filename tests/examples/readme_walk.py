"""Runs a part of the README's walkthrough (``readme_plan.PARTS``) on a copy of the example fleet.

The copy's pinned ports (8080, stage's 8180) are left to be picked free, so that parts run side by
side on one machine, and the fixed 8417 of `fleetops server` is the URL of the part's own control
plane.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from fleetops.server.settings import pid_dirs, read_server_file
from fleetops.testing.example import NotificationSinks, copy_example
from fleetops.testing.server import cli_env
from fleetops.testing.waiting import wait_until
from tests.examples.readme_plan import README, Step, part_steps

FOLLOW_QUIET_S = 5.0
HELLO = '{"StartAt": "Hello", "States": {"Hello": {"Type": "Pass", "End": true}}}'


@contextmanager
def restaurant_copy(folder: Path, sinks: NotificationSinks) -> Iterator[Path]:
    """A copy of the example in ``folder`` with free ports, short bakes and one instance of each
    service; `fleetops down` after."""
    copy_example(folder, sinks)
    fleet_file = folder / "fleet.yaml"
    text = (
        fleet_file.read_text()
        .replace("      port: 8080\n", "")
        .replace("run: {port: 8180}", "run: {port: null}")
        # No README line deploys a bad release, so no alarm needs a long bake to see one: each
        # of the walkthrough's deployments, rollbacks and promotions waits 1 s per step instead.
        .replace("bake_time: 5s", "bake_time: 1s")
        .replace("bake_time: 15s", "bake_time: 1s")
        .replace("checkpoint_delay: 3s", "checkpoint_delay: 1s")
        # Nor does any send traffic that a drain would protect (a drill's steady client counts
        # its failures, the README's exit codes do not): each instance replaced by a deployment,
        # rollback, promotion or rotation is stopped at once instead of 1 s after its drain.
        # (Health checks stay every second: every 0.5 s shortens each instance's start by ~1 s
        # but costs the running fleet about as much CPU as that saves.)
        .replace("deregistration_delay: 1s", "deregistration_delay: 0s")
        # One instance of each service instead of two (notifications has one already), each
        # replaced by launching its successor first (200%, as notifications'): a deployment,
        # rollback, promotion or rotation replaces half as many instances, one batch a
        # service instead of two, and half as many processes run (and are health-checked) for
        # as long as the part does. No README line needs a second instance (`fleetops scale
        # menu 3` and the aws set-desired-capacity stay within 1..3).
        .replace("instances: {min: 1, desired: 2, max: 3}", "instances: {min: 1, desired: 1, max: 3}")
        .replace("      max_healthy_percent: 150\n", "      max_healthy_percent: 200\n")
    )
    assert (
        text.count("bake_time: 1s") == 2
        and "checkpoint_delay: 1s" in text
        and "deregistration_delay: 0s" in text
        and text.count("instances: {min: 1, desired: 1, max: 3}") == 5
        and "max_healthy_percent: 150" not in text
    ), "the example's timings moved"
    fleet_file.write_text(text)
    (folder / "hello.asl.json").write_text(HELLO)
    try:
        yield folder
    finally:
        if read_server_file(folder / ".fleetops") is not None or _pid_files(folder / ".fleetops"):
            _bash("fleetops down", folder, timeout=120)  # the part failed before its own `down`


def walk_part(name: str, restaurant: Path, elsewhere: Path) -> list[str]:
    """Run part ``name`` in ``restaurant`` (a step marked elsewhere: in ``elsewhere``), each step
    as written; return what went wrong (an exit code not expected, a placeholder not found)."""
    values: dict[str, str] = {}
    failures: list[str] = []
    for step in part_steps(name, README.read_text()):
        command = step.run
        for placeholder, value in values.items():
            command = command.replace(placeholder, value)
        info = read_server_file(restaurant / ".fleetops")
        if info is not None:
            command = command.replace(" URL ", f" {info['url']} ")
        cwd = elsewhere if step.elsewhere else restaurant
        cwd.mkdir(exist_ok=True)
        print(f"$ {command}", flush=True)  # where a slow README run is, with -s
        done = _followed(command, cwd, step) if step.follow else _bash(command, cwd)
        if done.returncode != step.exit_code:
            failures.append(f"{command}: exit {done.returncode}\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
            print(failures[-1], flush=True)
        for placeholder, pattern in step.capture.items():
            found = re.search(pattern, done.stdout + done.stderr)
            if found is None:
                failures.append(
                    f"{command}: no {placeholder} ({pattern}) in its output:\n{done.stdout[-2000:]}"
                )
                print(failures[-1], flush=True)
            else:
                values[placeholder] = found.group(1)
        if step.idle:
            _idle(restaurant)
    return failures


def _pid_files(state_dir: Path) -> list[Path]:
    """Pid files of processes `fleetops down` would still stop (it removes them as it does)."""
    return [pid_file for folder in pid_dirs(state_dir) for pid_file in folder.glob("*.pid")]


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    venv_bin = str(Path(sys.executable).parent)  # fleetops and aws, as after `make`
    env = cli_env()
    env["PATH"] = f"{venv_bin}{os.pathsep}{env.get('PATH', '')}"
    for name in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        env.pop(name, None)
    return {**env, **(extra or {})}


def _bash(command: str, cwd: Path, *, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", command],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _followed(command: str, cwd: Path, step: Step) -> subprocess.CompletedProcess[str]:
    """Run a command that goes on until Ctrl-C: interrupt it once it printed something."""
    said: list[str] = []
    with subprocess.Popen(
        ["bash", "-c", command],
        cwd=cwd,
        env=_env(step.env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: Ctrl-C reaches bash and the command
    ) as process:
        reader = threading.Thread(target=lambda: said.extend(process.stdout or []), daemon=True)
        reader.start()
        try:
            if step.ready:
                wait_until(lambda: step.ready in "".join(said) or process.poll() is not None, what=command)
            else:
                wait_until(lambda: said or process.poll() is not None, timeout=FOLLOW_QUIET_S, what=command)
        except AssertionError:
            pass  # nothing to print yet (no 5xx to follow): it still follows, and Ctrl-C ends it
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGINT)
            process.wait(timeout=30)
        reader.join(timeout=5)
    return subprocess.CompletedProcess(command, process.returncode, "".join(said), "")


def _idle(cwd: Path) -> None:
    """Wait until no execution and no rollout (an instance refresh started through aws) runs."""

    # Asked of the API (what `fleetops executions list --status RUNNING` and `fleetops status`
    # read): a poll is then a request, not two CLI processes of half a second of CPU each.
    info = read_server_file(cwd / ".fleetops")
    assert info is not None, "no control plane runs for the README's fleet"
    headers = {"Authorization": f"Bearer {(cwd / '.fleetops' / 'token').read_text().strip()}"}

    def nothing_runs() -> bool:
        listed = httpx.get(f"{info['url']}/api/v1/executions", params={"status": "RUNNING"}, headers=headers)
        status = httpx.get(f"{info['url']}/api/v1/fleet", headers=headers)
        return (
            listed.status_code == 200
            and listed.json()["executions"] == []
            and status.status_code == 200
            and not any(service["rollout"] for service in status.json()["services"])
        )

    # Polled every 0.3 s, not every 50 ms: each poll is two requests the control plane answers
    # (about as much CPU as the rollout it waits for), and a step later than that costs nothing.
    wait_until(nothing_runs, timeout=300, interval=0.3, what="no execution or rollout running")
