"""A real server shared by the CLI tests of one module (they use distinct names, so they do not collide)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fleetops.testing.example import NotificationSinks, copy_example
from fleetops.testing.server import RunningServer, running_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """``fleetops server`` in a temp dir; CLI commands run with ``cwd=server.state_dir.parent`` find it."""
    with running_server(tmp_path_factory.mktemp("server")) as running:
        yield running


ON_POSTGRES = "    kind: postgres\n    connection: postgresql://orders@localhost:5432/orders\n"
ON_SQLITE = "    kind: sqlite\n    connection: sqlite:///data/orders.db\n"


def restaurant_on_postgres(tmp_path: Path, sinks: NotificationSinks) -> Path:
    """The example fleet in a fresh folder, its gateway on a free port instead of 8080, orders-db
    on the sandbox's PostgreSQL as the example has it."""
    folder = copy_example(tmp_path / "restaurant", sinks)
    fleet_file = folder / "fleet.yaml"
    text = fleet_file.read_text()
    if text.count(ON_POSTGRES) != 1:
        raise AssertionError("the example's orders-db moved: update tests/cli/conftest.py")
    fleet_file.write_text(text.replace("      port: 8080\n", ""))
    return folder


def restaurant_on_sqlite(tmp_path: Path, sinks: NotificationSinks) -> Path:
    """As :func:`restaurant_on_postgres`, orders-db a SQLite file instead (``kind: sqlite``)."""
    folder = restaurant_on_postgres(tmp_path, sinks)
    fleet_file = folder / "fleet.yaml"
    fleet_file.write_text(fleet_file.read_text().replace(ON_POSTGRES, ON_SQLITE))
    return folder
