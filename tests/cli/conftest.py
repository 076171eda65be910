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


def restaurant_on_postgres(tmp_path: Path, sinks: NotificationSinks) -> Path:
    """The example fleet in a fresh folder, its gateway on a free port instead of 8080, orders-db
    on the sandbox's PostgreSQL instead of SQLite."""
    folder = copy_example(tmp_path / "restaurant", sinks)
    fleet_file = folder / "fleet.yaml"
    text = fleet_file.read_text().replace("      port: 8080\n", "")
    text = text.replace(
        "    kind: sqlite\n    connection: sqlite:///data/orders.db\n",
        "    kind: postgres\n    connection: postgresql://orders@localhost:5432/orders\n",
    )
    fleet_file.write_text(text)
    return folder
