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
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx

from fleetops.server.settings import pid_dirs, read_server_file
from fleetops.testing.example import NotificationSinks, copy_example
from fleetops.testing.server import cli_env
from fleetops.testing.waiting import wait_until
from tests.examples.readme_plan import README, Step, part_steps

FOLLOW_QUIET_S = 5.0
"""How long a following command with nothing to print yet runs before its Ctrl-C."""
FOLLOW_STOP_S = 30.0
"""How long a following command may take to exit after its Ctrl-C."""
HELLO = '{"StartAt": "Hello", "States": {"Hello": {"Type": "Pass", "End": true}}}'


@contextmanager
def restaurant_copy(folder: Path, sinks: NotificationSinks) -> Iterator[Path]:
    """A copy of the example in ``folder`` with free ports, no bakes, health checks every 0.5 s
    and one instance of each service; `fleetops down` after."""
    copy_example(folder, sinks)
    fleet_file = folder / "fleet.yaml"
    text = (
        fleet_file.read_text()
        .replace("      port: 8080\n", "")
        .replace("run: {port: 8180}", "run: {port: null}")
        # No README line deploys a bad release, so no alarm needs a bake or a warmup to see one,
        # nor a pause between orders' checkpoints: each of the walkthrough's deployments,
        # rollbacks, promotions and rotations goes on as soon as its new instances are healthy.
        .replace("warmup: 1s", "warmup: 0s")
        .replace("bake_time: 5s", "bake_time: 0s")
        .replace("bake_time: 15s", "bake_time: 0s")
        .replace("checkpoint_delay: 3s", "checkpoint_delay: 0s")
        # A new instance is healthy after two passing checks: every 0.5 s instead of every
        # second, it is in service ~1 s sooner, and each wave of a deployment ends one poll of
        # its runbook (2 s) sooner: `fleetops deploy dev --version v2 --wait` 26 -> 9 s with the
        # settings above, at ~0.01 of a core more for the running fleet's checks. Four failing
        # checks make it unhealthy, as two did at 1 s: a loaded machine's pause of a second
        # fails no instance that did not fail before. (Its timeout stays below its interval.)
        .replace(
            "      interval: 1s\n      timeout: 500ms\n", "      interval: 500ms\n      timeout: 450ms\n"
        )
        .replace("      unhealthy_threshold: 2\n", "      unhealthy_threshold: 4\n")
        # Nor does any send traffic that a drain would protect (a drill's steady client counts
        # its failures, the README's exit codes do not): each instance replaced by a deployment,
        # rollback, promotion or rotation is stopped at once instead of 1 s after its drain.
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
        text.count("bake_time: 0s") == 2
        and "warmup: 0s" in text
        and "checkpoint_delay: 0s" in text
        and text.count("interval: 500ms") == text.count("unhealthy_threshold: 4") == 1
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
        started = time.monotonic()
        done = _followed(command, cwd, step) if step.follow else _bash(command, cwd)
        print(f"  exit {done.returncode} after {time.monotonic() - started:.1f} s", flush=True)
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


def _followed(
    command: str, cwd: Path, step: Step, *, stop_s: float = FOLLOW_STOP_S
) -> subprocess.CompletedProcess[str]:
    """Run a command that goes on until Ctrl-C: interrupt it once it printed something (with
    ``step.ready``: that text; AssertionError when it does not print it). One still running
    ``stop_s`` seconds after the Ctrl-C has its process group killed, and fails (AssertionError),
    where waiting for it would hold the test until its timeout."""
    said: list[str] = []
    with subprocess.Popen(
        # SIGINT as a terminal's Ctrl-C finds it: a test run started in the background (`make
        # test &`, nohup) ignores SIGINT, its processes inherit that, and the command would
        # never see the Ctrl-C (nor can bash trap a signal ignored when it starts).
        ["env", "--default-signal=INT", "bash", "-c", command],
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
                wait_until(
                    lambda: step.ready in "".join(said) or process.poll() is not None,
                    what=f"{command!r} to print {step.ready!r}",
                )
            else:  # one with nothing to print yet (no 5xx to follow) still follows: Ctrl-C ends it
                with suppress(AssertionError):
                    wait_until(
                        lambda: said or process.poll() is not None, timeout=FOLLOW_QUIET_S, what=command
                    )
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=stop_s)
            except subprocess.TimeoutExpired:
                raise AssertionError(
                    f"{command}: still running {stop_s:g} s after Ctrl-C (its process group killed); "
                    f"it printed:\n{''.join(said)[-2000:]}"
                ) from None
        finally:
            if process.poll() is None:  # Ctrl-C lost or never sent: nothing of it outlives the step
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
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
        listed = api.get("/api/v1/executions", params={"status": "RUNNING"})
        status = api.get("/api/v1/fleet")
        return (
            listed.status_code == 200
            and listed.json()["executions"] == []
            and status.status_code == 200
            and not any(service["rollout"] for service in status.json()["services"])
        )

    # Polled every 0.3 s, not every 50 ms: each poll is two requests the control plane answers
    # (about as much CPU as the rollout it waits for), and a step later than that costs nothing;
    # on one kept-alive connection, not a new one per request.
    with httpx.Client(base_url=info["url"], headers=headers) as api:
        wait_until(nothing_runs, timeout=300, interval=0.3, what="no execution or rollout running")
