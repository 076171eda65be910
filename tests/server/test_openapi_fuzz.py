"""Schemathesis against the live OpenAPI of a served control plane, as an admin: every operation's
answers are documented (status codes, bodies, content types) and none is a server error.

Each operation is tried on a few generated cases (``MAX_EXAMPLES``) so that the run stays short.
Schemathesis' pytest plugin does not run on pytest 9, so the operations are walked here, each
with its own hypothesis strategy.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from fleetops.server.auth import Role
from fleetops.testing.api import api_harness
from fleetops.testing.sfn import serving

MAX_EXAMPLES = 5
EXCLUDED = [
    # Names (environments, services, channels) are checked against the fleet file when the
    # request arrives (400 naming the known ones): no schema can say which names a fleet has.
    positive_data_acceptance,
]


@pytest.mark.slow
def test_every_operation_answers_as_documented(tmp_path: Path) -> None:
    with api_harness(tmp_path / "state") as api, serving(api.app) as url:
        headers = {"Authorization": f"Bearer {api.tokens[Role.ADMIN]}"}
        schema = schemathesis.openapi.from_url(f"{url}/api/v1/openapi.json")
        # The live stream answers until its client leaves or for up to an hour (its `seconds`):
        # tests/server/routes/test_events.py covers it.
        operations = [
            result.ok() for result in schema.get_all_operations() if not result.ok().path.endswith("/events")
        ]
        failures: list[str] = []
        for operation in operations:

            @given(case=operation.as_strategy())
            @settings(
                max_examples=MAX_EXAMPLES,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                database=None,
            )
            def answers_as_documented(case: schemathesis.Case) -> None:
                case.call_and_validate(headers=headers, excluded_checks=EXCLUDED)

            try:
                answers_as_documented()
            except (Exception, BaseExceptionGroup) as err:  # every operation is tried, failures listed
                failures.append(f"{operation.label}: {err}")
        print(f"schemathesis: {len(operations)} operations, {MAX_EXAMPLES} examples each")
        assert failures == [], "\n\n".join(failures)
