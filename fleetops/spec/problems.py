"""A problem found in a fleet file: the field path it is about and what is wrong."""

from __future__ import annotations

from dataclasses import dataclass

PathPart = str | int
Path = tuple[PathPart, ...]
"""A field path: ``("services", "orders", "depends_on", 1)``."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a fleet file: where (a field path) and what."""

    path: Path
    message: str
    at_key: bool = False
    """Point at the key of ``path`` rather than at its value."""
    involves: tuple[Path, ...] = ()
    """Other fields the check read: when one of them is in error itself (and left out, its
    default standing in), the problem is not reported on top of that error."""
