"""Definition problems, worded and located as AWS's ``ValidateStateMachineDefinition`` does."""

from __future__ import annotations

from dataclasses import dataclass

from fleetops.engine.errors import DefinitionError


@dataclass(frozen=True)
class Diagnostic:
    """One problem: a code, a JSON pointer into the definition, and a message."""

    location: str
    message: str
    code: str = "SCHEMA_VALIDATION_FAILED"
    severity: str = "ERROR"

    def __str__(self) -> str:
        return f"{self.code}: {self.message} at {self.location}"

    def to_aws(self) -> dict[str, str]:
        """The diagnostic as ``ValidateStateMachineDefinition`` returns it."""
        return {
            "code": self.code,
            "location": self.location,
            "message": self.message,
            "severity": self.severity,
        }


class InvalidDefinition(DefinitionError):
    """A definition AWS would reject; carries every diagnostic found, not just the first."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        problems = [str(d) for d in diagnostics]
        # The ``InvalidDefinition`` message of ``CreateStateMachine``.
        super().__init__(problems, "Invalid State Machine Definition: '" + ", ".join(problems) + "'")
        self.diagnostics = diagnostics
