"""A security finding (what, how bad, how to fix it) and the audit's whole answer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """How urgent a finding is; ``fleetops audit security`` exits 1 when any is high."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


_ORDER = {Severity.HIGH: 0, Severity.MEDIUM: 1, Severity.LOW: 2}


@dataclass(frozen=True)
class Finding:
    """One thing the audit found open. Never carries a secret's value: ``subject`` names where."""

    check: str
    severity: Severity
    subject: str
    """What it is about: a token's name, a file, a fleet file path (``services.orders.env.DB_PASSWORD``)."""
    detail: str
    fix: str

    def to_json(self) -> dict[str, Any]:
        """JSON-ready values."""
        return {
            "check": self.check,
            "severity": self.severity.value,
            "subject": self.subject,
            "detail": self.detail,
            "fix": self.fix,
        }


@dataclass(frozen=True)
class SecurityAudit:
    """Every finding, most severe first, and the checks that could not run (with why)."""

    environment: str
    findings: tuple[Finding, ...]
    skipped: tuple[str, ...] = ()

    @classmethod
    def of(cls, environment: str, findings: Sequence[Finding], skipped: Sequence[str] = ()) -> SecurityAudit:
        """Sorted by severity, then check and subject."""
        ordered = sorted(findings, key=lambda f: (_ORDER[f.severity], f.check, f.subject))
        return cls(environment, tuple(ordered), tuple(skipped))

    @property
    def high(self) -> bool:
        """Whether any finding is high."""
        return any(f.severity is Severity.HIGH for f in self.findings)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready values."""
        counts = {s.value: sum(1 for f in self.findings if f.severity is s) for s in Severity}
        return {
            "environment": self.environment,
            "counts": counts,
            "findings": [f.to_json() for f in self.findings],
            "skipped": list(self.skipped),
        }
