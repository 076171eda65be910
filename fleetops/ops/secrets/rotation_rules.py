"""A secret's rotation schedule: the fleet file's ``rotation: {every: 30d}``, until a
RotateSecret on the AWS endpoint sets ``RotationRules`` (kept in the secret's history as a
``secret.rotation_rules`` event, so the schedule and DescribeSecret read the same thing)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from fleetops.spec.resources import Secret
from fleetops.store.secrets import SecretEvent

ROTATION_RULES = "secret.rotation_rules"
"""The history event a RotateSecret with ``RotationRules`` records (detail: ``every_s``)."""


@dataclass(frozen=True)
class RotationRules:
    """How often the secret is rotated (None: only when asked)."""

    every: timedelta | None

    @property
    def enabled(self) -> bool:
        """Whether it is rotated on a schedule (RotationEnabled)."""
        return self.every is not None


def rotation_rules(history: Sequence[SecretEvent], declared: Secret | None) -> RotationRules:
    """The schedule in force: the last one RotateSecret set, else the fleet file's."""
    for event in reversed(history):
        if event.action == ROTATION_RULES:
            seconds = event.detail.get("every_s")
            return RotationRules(timedelta(seconds=float(seconds)) if seconds else None)
    if declared is not None and declared.rotation is not None:
        return RotationRules(declared.rotation.every)
    return RotationRules(None)
