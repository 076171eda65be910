"""The README test's parts each run on a copy of the example fleet of their own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fleetops.testing.example import NotificationSinks
from tests.examples.readme_walk import restaurant_copy


@pytest.fixture
def restaurant(tmp_path: Path, sinks: NotificationSinks) -> Iterator[Path]:
    """A copy of examples/restaurant with free ports, no bakes and one instance a service, its
    fleet downed after."""
    with restaurant_copy(tmp_path / "restaurant", sinks) as folder:
        yield folder
