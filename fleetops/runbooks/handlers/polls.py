"""How often a runbook looks at what it waits for: the ``poll_seconds`` of its plan.

Every runbook waits through a Wait state (``SecondsPath: $.plan.poll_seconds``) between two looks
at a rollout, a restore's services or a rotation's instances. How long that wait should be
depends on what each look costs where the environment runs:

- ``provider: local`` run by this control plane's engine: a look is a read of the sandbox, and
  a wait costs nothing but the time it adds to the operation. It looks every second.
- ``orchestrator: aws-stepfunctions``: each Wait and each look is a state transition AWS bills,
  and each look a round trip to a ``fleetops worker``. ``provider: aws``: each look is AWS API
  calls (DescribeInstanceRefreshes, target health) counted against the account's rate limits,
  for an instance refresh that takes minutes anyway. Both look every 2 s.

ASL's Wait takes whole seconds (AWS requires a positive integer), so 1 s is the shortest there
is. A ``poll_seconds`` in the execution's input wins over both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fleetops.spec.fleet import Fleet
from fleetops.spec.models import LocalSettings, Orchestrator

LOCAL_POLL_SECONDS = 1
"""How often a runbook of a local environment on fleetops' own engine looks."""
DEFAULT_POLL_SECONDS = 2
"""How often a runbook looks elsewhere: on Step Functions, or at the aws provider."""


def default_poll_seconds(fleet: Fleet, environment: str) -> int:
    """:data:`LOCAL_POLL_SECONDS` for a local environment whose runbooks fleetops' engine runs,
    else :data:`DEFAULT_POLL_SECONDS` (``environment``: one the fleet file names, checked before)."""
    settings = fleet.environments[environment]
    local = isinstance(settings, LocalSettings) and settings.orchestrator is Orchestrator.LOCAL
    return LOCAL_POLL_SECONDS if local else DEFAULT_POLL_SECONDS


def poll_seconds(fleet: Fleet, environment: str, payload: Mapping[str, Any]) -> int:
    """The input's ``poll_seconds`` when it gives one, else :func:`default_poll_seconds`."""
    return int(payload.get("poll_seconds") or default_poll_seconds(fleet, environment))
