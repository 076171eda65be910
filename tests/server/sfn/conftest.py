"""A served app with boto3 Step Functions clients for every role."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fleetops.testing.api import ApiHarness
from fleetops.testing.sfn import SfnHarness, sfn_harness


@pytest.fixture
def sfn(api: ApiHarness) -> Iterator[SfnHarness]:
    with sfn_harness(api) as harness:
        yield harness
