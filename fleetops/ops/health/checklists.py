"""Checklists: which checks run, after the seeds' runbooks.

- ``pre-deploy`` (seed 003): the fleet file valid with its secrets declared (``config``, checked
  by the CLI on the file beside it), and nothing in the way of a deployment: no alarm firing, no
  lock held too long, no execution failed or stuck, maintenance off.
- ``post-deploy`` (seed 003): every service at its desired count and healthy behind the load
  balancer, no alarm firing, traffic (5XX rate, p95) normal.
- ``daily`` (seed 002's morning checklist), and no checklist: every check.
"""

from __future__ import annotations

from enum import StrEnum

CHECKS = ("services", "alarms", "lock", "executions", "maintenance", "traffic")


class Checklist(StrEnum):
    """A named selection of checks."""

    ALL = "all"
    PRE_DEPLOY = "pre-deploy"
    POST_DEPLOY = "post-deploy"
    DAILY = "daily"


SELECTIONS: dict[Checklist, tuple[str, ...]] = {
    Checklist.ALL: CHECKS,
    Checklist.PRE_DEPLOY: ("alarms", "lock", "executions", "maintenance"),
    Checklist.POST_DEPLOY: ("services", "alarms", "traffic"),
    Checklist.DAILY: CHECKS,
}
