"""A real server shared by the CLI tests of one module (they use distinct names, so they do not collide)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fleetops.testing.server import RunningServer, running_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """``fleetops server`` in a temp dir; CLI commands run with ``cwd=server.state_dir.parent`` find it."""
    with running_server(tmp_path_factory.mktemp("server")) as running:
        yield running
