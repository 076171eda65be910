"""Which test files cost the suite's CPU: a pytest plugin that ranks them by CPU seconds.

    .venv/bin/pytest -n 4 --dist loadfile --no-loadscope-reorder -p bench.suite_cpu \
        [--suite-cpu-out suite_cpu.txt]
    (or PYTEST_PLUGINS=bench.suite_cpu; the output path also from SUITE_CPU_OUT)

Wall times mislead on a loaded machine, and `/usr/bin/time` misses what detaches (a control
plane from `fleetops up`, HAProxy, PostgreSQL from pg_ctl, a fleet's instances). So the run gets
a cgroup v1 cpuacct group (root needed), the controller and each xdist worker a child group of
their own at start: every process they start, detached or not, stays in it and is counted. A
file's CPU is the change of its worker's group's cpuacct.usage from its first test's setup to
its last test's teardown (with --dist loadfile a file runs whole, alone, on one worker: module
fixtures, their fleets and their servers included). What no file holds (worker start, imports,
collection, session fixtures) is reported apart. The machine's busy CPU over the same run
(/proc/stat) says how much of the machine the run was. Normal runs never load this module.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CPUACCT = Path("/sys/fs/cgroup/cpuacct")
# The run's group, created by the controller, inherited by the workers through the environment.
GROUP_ENV = "SUITE_CPU_CGROUP"
OUT_ENV = "SUITE_CPU_OUT"
_KEY = "suite_cpu"


@dataclass
class FileCost:
    path: str
    cpu_ns: int = 0
    wall_s: float = 0.0
    tests: int = 0


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--suite-cpu-out",
        default=os.environ.get(OUT_ENV, "suite_cpu.txt"),
        help="where bench.suite_cpu writes its table of test files ranked by CPU",
    )


def _usage(group: Path) -> int:
    return int((group / "cpuacct.usage").read_text())


def _busy_ticks() -> int:
    """The machine's busy CPU since boot, in clock ticks (all of /proc/stat's cpu line but idle
    and iowait)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]]
    user, nice, system, _idle, _iowait, irq, softirq = fields
    return user + nice + system + irq + softirq


def _join(group: Path) -> None:
    group.mkdir(exist_ok=True)
    (group / "cgroup.procs").write_text(str(os.getpid()))


class _Recorder:
    """Per-file CPU of the tests this process runs (a worker, or the controller with -n 0)."""

    def __init__(self, group: Path) -> None:
        self.group = group
        self.files: dict[str, FileCost] = {}
        self._start: tuple[int, float] | None = None

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None]:
        path = item.nodeid.split("::", 1)[0]
        if self._start is None:
            self._start = (_usage(self.group), time.monotonic())
        yield
        cost = self.files.setdefault(path, FileCost(path))
        cost.tests += 1
        if nextitem is None or nextitem.nodeid.split("::", 1)[0] != path:
            cpu, wall = self._start
            cost.cpu_ns += _usage(self.group) - cpu
            cost.wall_s += time.monotonic() - wall
            self._start = None


class _Run:
    """The controller's side: the run's group, the workers' figures, the table."""

    def __init__(self, config: pytest.Config, root: Path) -> None:
        self.config = config
        self.root = root
        self.files: list[FileCost] = []
        self.busy0 = _busy_ticks()
        self.wall0 = time.monotonic()

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        self.files.extend(FileCost(**cost) for cost in node.workeroutput.get(_KEY, []))

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        wall = time.monotonic() - self.wall0
        busy = (_busy_ticks() - self.busy0) / os.sysconf("SC_CLK_TCK")
        total = _usage(self.root) / 1e9
        out = Path(config.getoption("--suite-cpu-out"))
        out.write_text(_table(self.files, total, busy, wall))
        _remove(self.root)
        print(f"\nbench.suite_cpu: {len(self.files)} test files ranked by CPU in {out}")


def _table(files: list[FileCost], total: float, busy: float, wall: float) -> str:
    ranked = sorted(files, key=lambda cost: cost.cpu_ns, reverse=True)
    in_files = sum(cost.cpu_ns for cost in files) / 1e9
    width = max((len(cost.path) for cost in files), default=4)
    lines = [f"{'rank':>4}  {'file':<{width}}  {'CPU s':>8}  {'wall s':>7}  {'tests':>5}  {'CPU/test':>8}"]
    for rank, cost in enumerate(ranked, 1):
        cpu = cost.cpu_ns / 1e9
        per_test = cpu / cost.tests if cost.tests else 0.0
        figures = f"{cpu:>8.1f}  {cost.wall_s:>7.1f}  {cost.tests:>5}  {per_test:>8.2f}"
        lines.append(f"{rank:>4}  {cost.path:<{width}}  {figures}")
    outside = total - in_files
    share = total / busy if busy else 0.0
    lines += [
        "",
        f"tests: {sum(cost.tests for cost in files)} in {len(files)} files; run wall {wall:.0f} s",
        f"CPU of the run (its cgroup, daemons included): {total:.1f} s",
        f"  inside test files: {in_files:.1f} s ({in_files / total:.1%})" if total else "",
        f"  outside any file (worker start, collection, session fixtures): {outside:.1f} s",
        f"machine busy CPU over the run (/proc/stat, other users included): {busy:.1f} s;"
        f" the run's cgroup is {share:.1%} of it",
    ]
    return "\n".join(lines) + "\n"


def _remove(root: Path) -> None:
    """Moves what is left in the run's groups (this process, a daemon a test left running) back
    to the root group, then removes the groups."""
    for group in [*sorted(root.glob("*/"), reverse=True), root]:
        with contextlib.suppress(FileNotFoundError):
            for pid in (group / "cgroup.procs").read_text().split():
                with contextlib.suppress(ProcessLookupError, OSError):
                    (CPUACCT / "cgroup.procs").write_text(pid)
        with contextlib.suppress(FileNotFoundError):
            group.rmdir()


def pytest_configure(config: pytest.Config) -> None:
    workerinput: dict[str, Any] | None = getattr(config, "workerinput", None)
    if workerinput is None:
        root = CPUACCT / f"suite-cpu-{os.getpid()}"
        root.mkdir()
        os.environ[GROUP_ENV] = str(root)
        _join(root / "controller")
        config.pluginmanager.register(_Run(config, root), "suite_cpu_run")
        if config.getoption("numprocesses", None) in (None, 0):
            config.pluginmanager.register(_Recorder(root / "controller"), "suite_cpu_recorder")
    else:
        group = Path(os.environ[GROUP_ENV]) / str(workerinput["workerid"])
        _join(group)
        config.pluginmanager.register(_Recorder(group), "suite_cpu_recorder")


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    recorder = config.pluginmanager.get_plugin("suite_cpu_recorder")
    if isinstance(recorder, _Recorder):
        costs = [vars(cost) for cost in recorder.files.values()]
        if hasattr(config, "workeroutput"):
            config.workeroutput[_KEY] = costs
        else:
            run = config.pluginmanager.get_plugin("suite_cpu_run")
            if isinstance(run, _Run):
                run.files.extend(recorder.files.values())
