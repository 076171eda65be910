"""The real AWS CLI (awscli from PyPI) run in this process, as its executable would run it.

    done = run_aws(["autoscaling", "describe-auto-scaling-groups"], env=cli_env(...), cwd=folder)
    assert done.returncode == 0 and json.loads(done.stdout)["AutoScalingGroups"]

A ``python -m awscli`` process spends about a second of CPU before it sends anything (the
interpreter, botocore, awscli's command tables), and tests of the AWS endpoints run hundreds of
commands. ``aws`` itself is three lines: ``create_clidriver().main()`` and ``sys.exit`` with what
it returns. :func:`run_aws` calls that same driver with the arguments, environment and folder the
process would have had, and answers as a finished process does (exit code, stdout, stderr), so
the CLI parses, validates, signs, sends, parses the answer and prints exactly as the executable
does. What it leaves out is the interpreter's start; tests that prove the executable itself
runs (``fleetops.testing.aws.AwsFleet.aws`` with ``process=True``) still start one.

Runs are one at a time (a lock): the environment and the working folder are the process's own.
"""

from __future__ import annotations

import io
import os
import subprocess
import threading
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path

from awscli.clidriver import create_clidriver

_lock = threading.Lock()


def run_aws(args: Sequence[str], *, env: Mapping[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``aws ARGS`` in this process with exactly ``env`` as its environment and ``cwd`` as its
    working folder (``file://`` arguments are read from there); its exit code and output."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with (
        _lock,
        _environment(env),
        _folder(cwd),
        _process_warnings(),
        redirect_stdout(stdout),
        redirect_stderr(stderr),
    ):
        try:
            code = create_clidriver().main(list(args))
        except SystemExit as exit_:  # argparse's usage errors exit, as they do in the process
            code = _exit_code(exit_.code, stderr)
    return subprocess.CompletedProcess(["aws", *args], int(code), stdout.getvalue(), stderr.getvalue())


def _exit_code(code: object, stderr: io.StringIO) -> int:
    """The exit code ``sys.exit(code)`` gives a process (a message is printed, and exits 1)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    stderr.write(f"{code}\n")
    return 1


@contextmanager
def _process_warnings() -> Iterator[None]:
    """The warning filters a fresh interpreter has (pytest's turn warnings into errors: awscli's
    own deprecation warnings, such as jmespath's on a seed's backquoted literal, would fail the
    command where the executable runs it)."""
    with warnings.catch_warnings():
        warnings.resetwarnings()
        for category in (ResourceWarning, ImportWarning, PendingDeprecationWarning, DeprecationWarning):
            warnings.simplefilter("ignore", category)
        warnings.filterwarnings("default", category=DeprecationWarning, module="__main__")
        yield


@contextmanager
def _environment(env: Mapping[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    _replace(env)
    try:
        yield
    finally:
        _replace(saved)


def _replace(env: Mapping[str, str]) -> None:
    """Make ``os.environ`` exactly ``env`` without emptying it on the way: other threads of the
    test (a moto server, a load thread) read it meanwhile, and the two mostly agree."""
    for key in set(os.environ) - set(env):
        del os.environ[key]
    os.environ.update(env)


@contextmanager
def _folder(cwd: Path) -> Iterator[None]:
    saved = os.getcwd()
    os.chdir(cwd)
    try:
        yield
    finally:
        os.chdir(saved)
