"""The list problems are collected in while a definition is parsed (all reported at once)."""

from __future__ import annotations

from dataclasses import dataclass, field

from fleetops.engine.definition.common import QueryLanguage
from fleetops.engine.definition.diagnostics import Diagnostic


@dataclass
class Problems:
    """Diagnostics found so far, plus what the parse needs to know about the machine."""

    machine_type: str = "STANDARD"
    machine_language: QueryLanguage = QueryLanguage.JSONPATH
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def add(self, location: str, message: str, *, code: str = "SCHEMA_VALIDATION_FAILED") -> None:
        """Record one problem at JSON pointer ``location``."""
        self.diagnostics.append(Diagnostic(location or "/", message, code=code))
