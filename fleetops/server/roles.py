"""The roles of API tokens (light to import: the CLI uses it for ``--role``)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What a token may do; each role may do everything the roles below it may."""

    VIEWER = "viewer"
    OPERATOR = "operator"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        """Position in ``viewer < operator < admin``."""
        return list(Role).index(self)

    def allows(self, needed: Role) -> bool:
        """Whether a token with this role may do what needs ``needed``."""
        return self.rank >= needed.rank
