"""moto on a free port with fleetops' shims, and the example fleet's prod bootstrapped on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fleetops.providers.aws.bootstrap import bootstrap, rewrite_file
from fleetops.providers.aws.session import AwsClients
from fleetops.spec.fleet import Fleet
from fleetops.spec.loader import load_fleet
from fleetops.testing.example import NotificationSinks, copy_example
from fleetops.testing.moto import MOTO_IMAGE, MotoEndpoint, moto_server


@pytest.fixture
def moto() -> Iterator[MotoEndpoint]:
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def example(tmp_path: Path, sinks: NotificationSinks) -> Path:
    """A copy of the example fleet (its fleet file is rewritten by bootstrap)."""
    return copy_example(tmp_path / "restaurant", sinks)


@pytest.fixture
def prod(moto: MotoEndpoint, example: Path) -> Fleet:
    """The example's prod bootstrapped on moto; the fleet file as rewritten with the new ids."""
    fleet_file = example / "fleet.yaml"
    fleet = load_fleet(fleet_file)
    made = bootstrap(fleet, "prod", AwsClients("eu-west-1"), image_id=MOTO_IMAGE)
    rewrite_file(fleet_file, made)
    return load_fleet(fleet_file)
