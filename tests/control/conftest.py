"""A FleetRuntime on real processes behind a real HAProxy, with a SQLite store, for these tests."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from fleetops.control.fleet import FleetRuntime, RuntimeSettings
from fleetops.control.local_services import dev_secrets, fixed_ports, local_services
from fleetops.providers.local import LocalProvider
from fleetops.spec.loader import load_fleet
from fleetops.store import Store
from fleetops.testing.fleet_files import write_fleet
from fleetops.testing.store_template import put_migrated_store

MakeRuntime = Callable[..., FleetRuntime]


def make_runtime(
    folder: Path,
    services: Mapping[str, Mapping[str, Any]],
    store: Store,
    *,
    initial_version: str = "v1",
    settings: RuntimeSettings | None = None,
    alarms: Mapping[str, Mapping[str, Any]] | None = None,
) -> FleetRuntime:
    """A runtime (not started) for a fleet file of ``services`` (and ``alarms``) written in ``folder``."""
    fleet = load_fleet(write_fleet(folder, services, alarms=alarms))
    state = folder / ".fleetops"
    provider = LocalProvider(
        local_services(fleet, "dev"),
        state_dir=state,
        secrets=dev_secrets(fleet, state),
        ports=fixed_ports(fleet, "dev"),
        tick=0.1,
    )
    return FleetRuntime(
        fleet,
        "dev",
        provider=provider,
        store=store,
        initial_version=initial_version,
        settings=settings or RuntimeSettings(failure_timeout_s=10, save_interval_s=0.1),
    )


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``predicate`` every 50 ms; fail the test naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {timeout}s")
        time.sleep(0.05)


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    put_migrated_store(tmp_path / "db")  # a copy: migrating a new store per test costs ~0.07 s of CPU
    with Store.open(None, tmp_path / "db") as store:
        yield store


@pytest.fixture
def runtimes(tmp_path: Path, sqlite_store: Store) -> Iterator[MakeRuntime]:
    """``runtimes(services, **options)``: a started runtime in ``tmp_path``; all stopped after."""
    started: list[FleetRuntime] = []

    def make(services: Mapping[str, Mapping[str, Any]], **options: Any) -> FleetRuntime:
        runtime = make_runtime(tmp_path, services, sqlite_store, **options)
        runtime.start()
        started.append(runtime)
        return runtime

    yield make
    for runtime in started:
        runtime.stop()
