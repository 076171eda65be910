"""Checklists: which checks run, after the seeds' runbooks.

- ``pre-deploy`` (seed 003): the fleet file valid with its secrets declared (``config``, checked
  by the CLI on the file beside it), every secret its services need with a current value
  (``required-secrets``), the version to deploy deployable (``version``, with ``--version``),
  and nothing in the way of a deployment: datastores answering, no alarm firing, no lock held
  too long, no execution failed or stuck, maintenance off.
- ``post-deploy`` (seed 003): every service at its desired count and healthy behind the load
  balancer, datastores answering ("DB connections healthy"), no alarm firing, traffic (5XX rate,
  p95) normal.
- ``daily`` (seed 002's morning checklist), and no checklist: every check, secrets overdue for
  rotation, backups missing or unverified past their schedule and open incidents among them.
  (Not pre-deploy: the fix of an open incident is deployed while it is open.)

The fleet file's ``checklists:`` adds more by name (or redefines these), each a list of checks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import get_args

from fleetops.errors import BadInput
from fleetops.spec.resources import HealthCheckName

CHECKS: tuple[str, ...] = get_args(HealthCheckName)


class Checklist(StrEnum):
    """A named selection of checks."""

    ALL = "all"
    PRE_DEPLOY = "pre-deploy"
    POST_DEPLOY = "post-deploy"
    DAILY = "daily"


SELECTIONS: dict[Checklist, tuple[str, ...]] = {
    Checklist.ALL: CHECKS,
    Checklist.PRE_DEPLOY: (
        "required-secrets",
        "version",
        "datastores",
        "alarms",
        "lock",
        "executions",
        "maintenance",
    ),
    Checklist.POST_DEPLOY: ("services", "datastores", "alarms", "traffic"),
    Checklist.DAILY: CHECKS,
}


def selection(name: str, extra: Mapping[str, Sequence[str]]) -> tuple[str, ...]:
    """The checks of checklist ``name``: the fleet file's (``extra``) first, then the built-in
    ones; ``BadInput`` naming the known checklists otherwise."""
    if name in extra:
        return tuple(extra[name])
    for checklist in Checklist:
        if checklist.value == name:
            return SELECTIONS[checklist]
    known = ", ".join(sorted({*(c.value for c in Checklist), *extra}))
    raise BadInput(f"unknown checklist {name!r} (known: {known})")
