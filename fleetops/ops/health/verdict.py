"""One verdict from many checks: each check says ok, warn or fail with its evidence.

The verdict is ``failing`` when any check fails, ``degraded`` when any warns, else ``healthy``;
``fleetops health`` exits 0 only for ``healthy``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    """What one check found."""

    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


class Verdict(StrEnum):
    """What all the checks together say."""

    HEALTHY = "healthy"
    DEGRADED = "degraded"
    FAILING = "failing"


@dataclass(frozen=True)
class CheckResult:
    """One check's outcome and the evidence it rests on."""

    check: str
    """Which check (``services``, ``alarms``, ``lock``…)."""
    outcome: Outcome
    evidence: str
    """What was seen, in words an operator can act on."""

    def to_json(self) -> dict[str, Any]:
        """JSON-ready values."""
        return {"check": self.check, "outcome": self.outcome.value, "evidence": self.evidence}


def verdict_of(results: Sequence[CheckResult]) -> Verdict:
    """``failing`` if any failed, ``degraded`` if any warned, else ``healthy``."""
    outcomes = {result.outcome for result in results}
    if Outcome.FAIL in outcomes:
        return Verdict.FAILING
    if Outcome.WARN in outcomes:
        return Verdict.DEGRADED
    return Verdict.HEALTHY


@dataclass(frozen=True)
class HealthReport:
    """Every check that ran for one environment, and their verdict."""

    environment: str
    checklist: str
    results: tuple[CheckResult, ...]

    @property
    def verdict(self) -> Verdict:
        """See ``verdict_of``."""
        return verdict_of(self.results)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready values."""
        return {
            "environment": self.environment,
            "checklist": self.checklist,
            "verdict": self.verdict.value,
            "checks": [result.to_json() for result in self.results],
        }
