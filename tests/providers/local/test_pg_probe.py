"""The health query's kept PostgreSQL connection, on a private cluster."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from fleetops.providers.local.pg_probe import PgProbe
from fleetops.testing.postgres import PostgresCluster, postgres_cluster

PID = "SELECT pg_backend_pid()"


@pytest.fixture(scope="module")
def cluster() -> Iterator[PostgresCluster]:
    with postgres_cluster() as started:
        yield started


@pytest.fixture
def probe() -> Iterator[PgProbe]:
    made = PgProbe()
    try:
        yield made
    finally:
        made.close()


def _url(cluster: PostgresCluster, database: str = "postgres") -> str:
    return cluster.url(database).replace("postgresql+psycopg://", "postgresql://")


def _pid(probe: PgProbe, url: str) -> int:
    row = probe.fetchone(url, PID)
    assert row is not None
    return int(row[0])


def test_checks_run_on_one_kept_connection(cluster: PostgresCluster, probe: PgProbe) -> None:
    url = _url(cluster)
    assert _pid(probe, url) == _pid(probe, url)


def test_a_connection_ended_by_the_server_is_replaced_within_the_check(
    cluster: PostgresCluster, probe: PgProbe
) -> None:
    url = _url(cluster)
    first = _pid(probe, url)
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (first,))
    assert _pid(probe, url) != first


def test_another_url_gets_a_new_connection(cluster: PostgresCluster, probe: PgProbe) -> None:
    url = _url(cluster)
    first = _pid(probe, url)
    assert _pid(probe, f"{url}?application_name=rotated") != first


def test_a_dropped_database_fails_the_check(cluster: PostgresCluster, probe: PgProbe) -> None:
    name = "probed"
    cluster.create_database(name)
    url = _url(cluster, name)
    _pid(probe, url)
    cluster.drop_database(name)
    with pytest.raises(psycopg.OperationalError, match='database "probed" does not exist'):
        probe.fetchone(url, PID)
