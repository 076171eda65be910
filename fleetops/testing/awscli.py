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

Which botocore: awscli vendors one of its own (``awscli/botocore``) and, when it is imported
before any botocore, makes ``import botocore`` that one for the whole process, as in the ``aws``
executable. A test process has boto3's botocore loaded first (this module imports it before
awscli, so importing it never changes the botocore of boto3 and moto), and the driver here runs
on that one: the same CLI code, boto3's botocore and service models (which may list operations
the executable's do not). A test of what the executable itself does uses the executable.

What the driver reads from botocore's and awscli's data files (the endpoints, the partitions,
the service models, the CLI's own data) is parsed once per process and shared by the drivers of
later runs (their sessions' ``data_loader``), as the clients of one session share it in the
executable: parsing it again cost every command ~0.1 s of CPU, most of what one costs here.

Runs are one at a time (a lock): the environment and the working folder are the process's own.
An interrupt (Ctrl-C) during a run interrupts the test process, as it would have interrupted both
processes: the driver's own answer to it (exit code 130) is not returned as a command's.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path

import botocore  # noqa: F401  (first: see "Which botocore" above)
from awscli.clidriver import CLIDriver, create_clidriver
from botocore.loaders import Loader

_lock = threading.Lock()
_loaders: dict[tuple[str, ...], Loader] = {}
"""The data loader of each search path list, shared by the drivers of every run in this process."""
INTERRUPTED = 128 + signal.SIGINT
"""The code the driver returns when interrupted (KeyboardInterrupt), as a shell reports SIGINT."""


def run_aws(args: Sequence[str], *, env: Mapping[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``aws ARGS`` in this process with exactly ``env`` as its environment and ``cwd`` as its
    working folder (``file://`` arguments are read from there); its exit code and output."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with (
        _lock,
        _arguments(["aws", *args]),
        _environment(env),
        _folder(cwd),
        _process_warnings(),
        redirect_stdout(stdout),
        redirect_stderr(stderr),
    ):
        try:
            code = _driver().main(list(args))
        except SystemExit as exit_:  # argparse's usage errors exit, as they do in the process
            code = _exit_code(exit_.code, stderr)
    if code == INTERRUPTED:
        # The driver answers an interrupt with the exit code its process would die with; here
        # it is this process's own (Ctrl-C, or the test run's SIGTERM), which must stop the run.
        raise KeyboardInterrupt
    return subprocess.CompletedProcess(["aws", *args], int(code), stdout.getvalue(), stderr.getvalue())


def _driver() -> CLIDriver:
    """A new driver, as the executable makes, whose session loads data files through the loader
    of the first driver made with the same search paths (``AWS_DATA_PATH``), which keeps what it
    parsed."""
    driver = create_clidriver()
    loader: Loader = driver.session.get_component("data_loader")
    shared = _loaders.setdefault(tuple(loader.search_paths), loader)
    if shared is not loader:
        driver.session.register_component("data_loader", shared)
    return driver


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
def _arguments(argv: list[str]) -> Iterator[None]:
    """``sys.argv`` as the executable's: argparse names the program after ``sys.argv[0]`` in its
    usage errors (``aws: error: ...``, not the test runner's name)."""
    saved = sys.argv
    sys.argv = argv
    try:
        yield
    finally:
        sys.argv = saved


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
