"""The private PostgreSQL cluster used by the tests."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from fleetops.testing.postgres import PostgresCluster, PostgresUnavailable, find_pg_bin_dir


def test_missing_binaries_give_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("FLEETOPS_PG_BIN", raising=False)
    with pytest.raises(PostgresUnavailable) as caught:
        find_pg_bin_dir(debian_root=tmp_path / "nowhere")
    assert str(caught.value) == (
        "PostgreSQL server binaries (initdb, pg_ctl) not found in $FLEETOPS_PG_BIN, "
        f"{tmp_path}/nowhere/<version>/bin or PATH: install them (Debian/Ubuntu: apt-get install "
        "postgresql; macOS: brew install postgresql) or set FLEETOPS_PG_BIN to their directory"
    )


def test_newest_debian_version_is_preferred(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLEETOPS_PG_BIN", raising=False)
    for version in ("9.6", "15", "13"):
        (tmp_path / version / "bin").mkdir(parents=True)
        for tool in ("initdb", "pg_ctl"):
            (tmp_path / version / "bin" / tool).touch()
    assert find_pg_bin_dir(debian_root=tmp_path) == tmp_path / "15" / "bin"


@pytest.mark.postgres
def test_each_created_database_is_separate_and_dropped(pg_cluster: PostgresCluster) -> None:
    first, second = pg_cluster.create_database(), pg_cluster.create_database()
    assert first != second
    with psycopg.connect(first.replace("postgresql+psycopg", "postgresql")) as conn:
        assert conn.execute("SELECT current_database()").fetchone() == (first.rsplit("/", 1)[1],)
    pg_cluster.drop_database(first)
    pg_cluster.drop_database(second)
    with psycopg.connect(pg_cluster.url().replace("postgresql+psycopg", "postgresql")) as conn:
        names = {row[0] for row in conn.execute("SELECT datname FROM pg_database")}
    assert names.isdisjoint({first.rsplit("/", 1)[1], second.rsplit("/", 1)[1]})
