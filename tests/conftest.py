"""Fixtures shared by every test: the store on SQLite and on a private PostgreSQL cluster.

``store_url`` is parametrized: a test that takes it (or ``store``) runs once on SQLite and once
on PostgreSQL (marked ``postgres``), each time against a fresh, empty database.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest

from fleetops.cache import CACHE_ENV
from fleetops.store import Store
from fleetops.store.database import DEFAULT_DB_FILE
from fleetops.testing.api import ApiHarness, api_harness
from fleetops.testing.example import NotificationSinks, notification_sinks
from fleetops.testing.postgres import PostgresCluster, postgres_cluster
from fleetops.testing.store_template import put_migrated_store

# The longest test files (each minutes of real fleets), started first: on two workers a test
# file runs whole on one (--dist loadfile), so one of these started last is the run's tail.
LONGEST_FIRST = (
    # The README's walkthrough in parts (tests/examples/readme_plan.py), each a fleet of its own:
    # 59, 46-62, 52 and 37 s alone (2026-12-07, -n 0 on a loaded machine; the one file they
    # replace took 277 s).
    "tests/examples/test_readme_environments.py",
    "tests/examples/test_readme_sandbox.py",
    "tests/examples/test_readme_deploy.py",
    "tests/examples/test_readme_control_plane.py",
    "tests/cli/test_sfn_workers.py",
    "tests/providers/aws/test_cli_prod.py",
    "tests/server/test_secret_leaks.py",
    "tests/server/test_authorization.py",
    "tests/awsapi/test_seeds.py",
    "tests/awsapi/test_autoscaling.py",
    "tests/server/ui/test_dashboard.py",
    "tests/cli/test_secrets_rotate.py",
    "tests/awsapi/test_observability.py",
    "tests/cli/test_restore.py",
    "tests/cli/test_following.py",
)


_CACHE_DIR = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    # A run stopped by SIGTERM (timeout(1), a cancelled CI job, kill) tears its fixtures down as
    # Ctrl-C does; by default it dies at once, and the fleets, servers and PostgreSQL clusters
    # its tests started outlive it (each an idle fleet of a dozen processes on a shared machine).
    signal.signal(signal.SIGTERM, _interrupt)
    # A run started in the background of a shell without job control (`make test &` in a script)
    # starts with SIGINT ignored, and so would every CLI process a test starts: Python keeps an
    # ignored SIGINT ignored, so the tests' Ctrl-C would reach none of them (they hung, or followed
    # a deployment to its end). A terminal's Ctrl-C reaches the commands it runs: so here.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if not hasattr(config, "workerinput"):  # the controller; xdist's workers inherit its environment
        # What fleetops caches (the sandbox PostgreSQL's template clusters) goes in a folder of
        # this run, removed at its end, not in the user's ~/.cache: a run leaves nothing behind
        # and never starts from a template an older checkout made.
        cache = tempfile.mkdtemp(prefix="fleetops-test-cache-")
        os.environ[CACHE_ENV] = cache
        config.stash[_CACHE_DIR] = cache


@pytest.hookimpl(wrapper=True)
def pytest_collection() -> Generator[None, object, object]:
    # PYTHONDONTWRITEBYTECODE (set where the suite runs) also stops pytest writing the test
    # modules whose asserts it rewrites to __pycache__, though it reads them back when there: every
    # worker rewrote every test module at every run, ~8 s of the ~25 s of CPU of a collection
    # (each worker collects the whole suite). Written while collecting (which imports every test
    # module), later runs read them; what runs after collection sees the setting unchanged.
    saved = sys.dont_write_bytecode
    sys.dont_write_bytecode = False
    try:
        return (yield)
    finally:
        sys.dont_write_bytecode = saved


def pytest_unconfigure(config: pytest.Config) -> None:
    cache = config.stash.get(_CACHE_DIR, None)
    if cache is not None:
        shutil.rmtree(cache, ignore_errors=True)


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {path: index for index, path in enumerate(LONGEST_FIRST)}
    # A stable sort: every file keeps its tests in their order.
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))


# Settings a developer's shell may carry that would point tests at real servers or databases.
_HERMETIC_ENV = ("FLEETOPS_DATABASE_URL", "FLEETOPS_URL", "FLEETOPS_TOKEN")


@pytest.fixture(autouse=True)
def _hermetic_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _HERMETIC_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    """One private PostgreSQL cluster for the whole run, started on first use."""
    with postgres_cluster() as cluster:
        yield cluster


# The fixtures that open the database of ``store_url`` as the first thing (migrating it).
_MIGRATING = ("store", "api_on_store_url")


@pytest.fixture(scope="session")
def pg_migrated(pg_cluster: PostgresCluster, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The name of a database of ``pg_cluster`` migrated once, that nobody stays connected to: a
    template for stores whose subject is not the migration."""
    name = "fleetops_migrated"
    Store.open(pg_cluster.create_database(name), tmp_path_factory.mktemp("pg-migrated")).close()
    return name


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh, empty database: a SQLite file in ``tmp_path``, or a new PostgreSQL
    database. On PostgreSQL, for a test that opens it with ``store`` (or ``api_on_store_url``),
    a copy of one migrated once per process: opening a new one migrates it, ~0.17 s of CPU per
    test (the migrations' own tests take ``store_url`` alone, so their databases stay empty)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fleetops.db'}"
        return
    cluster: PostgresCluster = request.getfixturevalue("pg_cluster")
    migrating = any(name in request.fixturenames for name in _MIGRATING)
    template = request.getfixturevalue("pg_migrated") if migrating else "template0"
    url = cluster.create_database(template=template)
    yield url
    cluster.drop_database(url)


@pytest.fixture
def store(store_url: str, tmp_path: Path) -> Iterator[Store]:
    """A migrated ``Store`` on ``store_url`` (so: on SQLite and on PostgreSQL): a copy of a store
    migrated once per process (the migrations' own tests take ``store_url``)."""
    if store_url == f"sqlite:///{tmp_path / DEFAULT_DB_FILE}":
        put_migrated_store(tmp_path)
    with Store.open(store_url, tmp_path) as opened:
        yield opened


@pytest.fixture
def api(tmp_path: Path) -> Iterator[ApiHarness]:
    """The API app on a fresh SQLite store, with a token per role (see ``fleetops.testing.api``)."""
    with api_harness(tmp_path / "state") as harness:
        yield harness


@pytest.fixture
def api_on_store_url(store_url: str, tmp_path: Path) -> Iterator[ApiHarness]:
    """The API app on ``store_url``: runs once on SQLite and once on PostgreSQL."""
    with api_harness(tmp_path / "state", store_url) as harness:
        yield harness


@pytest.fixture(scope="session")
def sinks() -> Iterator[NotificationSinks]:
    """Where copies of the example deliver their notifications (``fleetops.testing.example``)."""
    with notification_sinks() as started:
        yield started
