"""The AWS CLI's driver run in the test process: it answers as the ``aws`` executable does, with
the environment and folder it is given, and an interrupt still stops the test process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from fleetops.testing.awscli import run_aws


@pytest.fixture
def env() -> dict[str, str]:
    """This process's environment without the machine's AWS setup, one attempt."""
    return {
        **os.environ,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_MAX_ATTEMPTS": "1",
    }


def test_a_usage_error_is_answered_as_the_executable_answers_it(env: dict[str, str], tmp_path: Path) -> None:
    ran = run_aws(["sts", "get-caller-identity", "--no-such-option"], env=env, cwd=tmp_path)
    process = subprocess.run(
        [str(Path(sys.executable).parent / "aws"), "sts", "get-caller-identity", "--no-such-option"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        timeout=60,
        check=False,
    )  # bytes: text mode would turn the usage line's \r into \n
    assert (ran.returncode, ran.stdout, ran.stderr) == (
        process.returncode,
        process.stdout.decode(),
        process.stderr.decode(),
    )
    assert ran.returncode == 255 and ran.stderr.endswith("\n\nUnknown options: --no-such-option\n")


def test_an_argparse_error_names_the_program_aws(env: dict[str, str], tmp_path: Path) -> None:
    # Its service models' operations may differ from the executable's (the module's docstring):
    # the message's program name is the point here, as the executable prints it.
    ran = run_aws(["sts", "no-such-operation"], env=env, cwd=tmp_path)
    assert ran.returncode == 2
    assert "\naws: error: argument operation: Invalid choice, valid choices are:" in ran.stderr


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_command_reads_its_environment_and_folder_and_leaves_this_processs_own(
    env: dict[str, str], tmp_path: Path
) -> None:
    endpoint = f"http://127.0.0.1:{_closed_port()}"
    (tmp_path / "input.json").write_text("{}")
    before = (dict(os.environ), os.getcwd())

    ran = run_aws(
        ["sts", "get-caller-identity", "--cli-input-json", "file://input.json"],
        env={**env, "AWS_ENDPOINT_URL": endpoint},
        cwd=tmp_path,
    )

    # The file was read from tmp_path, the endpoint taken from the environment given.
    assert (ran.returncode, ran.stdout, ran.stderr) == (
        255,
        "",
        f'\nCould not connect to the endpoint URL: "{endpoint}/"\n',
    )
    assert (dict(os.environ), os.getcwd()) == before


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    """A loopback port that takes connections and never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield f"http://127.0.0.1:{server.getsockname()[1]}"


# A Ctrl-C whose handler runs while the main thread is inside a weakref callback (the garbage
# collector's) raises there, where Python can only report it as unraisable and drop it (seen
# twice in loaded runs); a later Ctrl-C then cuts the read short, as it would for a user.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_an_interrupt_during_a_command_interrupts_the_test_process(
    env: dict[str, str], tmp_path: Path, silent_endpoint: str
) -> None:
    ended = threading.Event()
    raised_at: list[float] = []

    # The driver catches KeyboardInterrupt itself and returns 130, as its process would exit.
    # The handler raises again only 2 s after its last raise, which was then dropped (above):
    # a raise that was taken ends the call within milliseconds, and a second one landing while
    # the first unwinds would escape the test and stop the whole run.
    def interrupt_handler(signum: int, frame: object) -> None:
        if ended.is_set() or (raised_at and time.monotonic() - raised_at[-1] < 2):
            return
        raised_at.append(time.monotonic())
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, interrupt_handler)
    # To the main thread, whose read it must cut short: os.kill from the timer's thread may be
    # taken by that thread, and the main thread would see it only when its 60 s read timed out.
    main = threading.main_thread().ident
    assert main is not None

    # Every 0.5 s until the call ends, as a user presses Ctrl-C again: one that lands in the few
    # instructions between Python's last check and the blocking read is seen only when that
    # read returns, and the next one cuts it short.
    def interrupt() -> None:
        while not ended.wait(0.5):
            signal.pthread_kill(main, signal.SIGINT)

    interrupter = threading.Thread(target=interrupt)
    try:
        interrupter.start()
        with pytest.raises(KeyboardInterrupt):
            run_aws(
                ["sts", "get-caller-identity", "--cli-read-timeout", "60"],
                env={**env, "AWS_ENDPOINT_URL": silent_endpoint},
                cwd=tmp_path,
            )
    finally:
        ended.set()
        interrupter.join()
        signal.signal(signal.SIGINT, previous)
