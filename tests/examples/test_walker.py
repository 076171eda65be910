"""The README walk's handling of a command that runs until Ctrl-C (``--follow``, ``--watch``)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from tests.examples.readme_plan import Step
from tests.examples.readme_walk import _followed


@pytest.mark.parametrize("sigint", [signal.SIG_DFL, signal.SIG_IGN], ids=["foreground", "run-in-background"])
def test_a_following_command_is_interrupted_once_it_printed(tmp_path: Path, sigint: signal.Handlers) -> None:
    # A test run in the background (`make test &`, nohup) ignores SIGINT, and so would its children.
    previous = signal.signal(signal.SIGINT, sigint)
    try:
        command = "trap 'echo interrupted; exit 0' INT; echo following; sleep 60"

        done = _followed(command, tmp_path, Step(command, follow=True), stop_s=5)
    finally:
        signal.signal(signal.SIGINT, previous)

    assert (done.returncode, done.stdout) == (0, "following\ninterrupted\n")


def test_a_following_command_that_ignores_ctrl_c_is_killed_and_fails(tmp_path: Path) -> None:
    # It writes its pid (its process group's: exec keeps both, and the ignored SIGINT).
    command = "echo $$ > pid; trap '' INT; echo following; exec sleep 60"

    with pytest.raises(
        AssertionError, match=r"still running 0\.5 s after Ctrl-C \(its process group killed\)"
    ):
        _followed(command, tmp_path, Step(command, follow=True), stop_s=0.5)

    with pytest.raises(ProcessLookupError):
        os.kill(int((tmp_path / "pid").read_text()), 0)
