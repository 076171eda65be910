"""Fixtures for the local provider's tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fleetops.providers.local.provider import LocalProvider
from fleetops.testing.local import example_runtime


@pytest.fixture
def provider(tmp_path: Path) -> Iterator[LocalProvider]:
    """A started LocalProvider running the menu service; stopped afterwards."""
    with LocalProvider([example_runtime("menu")], state_dir=tmp_path / "state") as started:
        yield started
