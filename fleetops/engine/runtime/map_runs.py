"""The settings of a running DISTRIBUTED Map that UpdateMapRun changes while it runs.

"Updates an in-progress Map Run's configuration to include changes to the settings that control
maximum concurrency and Map Run failure" (UpdateMapRun). A Map Run's iterations are started
through :class:`Slots` (its MaxConcurrency: a raised limit starts waiting iterations at once, a
lowered one lets no new iteration start until enough have ended) and its failure tolerance is
read from :class:`MapRunControl` at each failure. :class:`MapRuns` holds the controls of the Map
Runs in progress on one engine, by Map Run ARN. Runs on the engine's event loop.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field


class Slots:
    """MaxConcurrency of a Map (0: no limit) that may change while iterations wait for a slot."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self._freed = asyncio.Event()

    async def acquire(self) -> None:
        """Wait until fewer than ``limit`` iterations run (at once when there is no limit)."""
        while self.limit > 0 and self.used >= self.limit:
            self._freed.clear()
            await self._freed.wait()
        self.used += 1

    def release(self) -> None:
        """An iteration ended: its slot is free."""
        self.used -= 1
        self._freed.set()

    def resize(self, limit: int) -> None:
        """A new limit, effective for the next iteration to start."""
        self.limit = limit
        self._freed.set()


@dataclass
class MapRunControl:
    """What UpdateMapRun may change of a running Map (and what DescribeMapRun shows)."""

    slots: Slots
    tolerated_count: float | None
    tolerated_percentage: float | None

    @property
    def tolerant(self) -> bool:
        """Whether a failed iteration is tolerated up to a threshold (else it fails the Map)."""
        return self.tolerated_count is not None or self.tolerated_percentage is not None

    def exceeded(self, failed: int, total: int) -> bool:
        """Whether ``failed`` of ``total`` iterations exceed the tolerance."""
        count, percentage = self.tolerated_count, self.tolerated_percentage
        within_count = count is not None and failed <= count
        within_percentage = percentage is not None and total > 0 and failed * 100 <= percentage * total
        return not (within_count or within_percentage)

    def settings(self) -> dict[str, float | int | None]:
        """The settings now (recorded with MapRunStarted, so they outlive the run)."""
        return {
            "max_concurrency": self.slots.limit,
            "tolerated_count": self.tolerated_count,
            "tolerated_percentage": self.tolerated_percentage,
        }


@dataclass
class MapRuns:
    """The Map Runs in progress on one engine, by ARN."""

    running: dict[str, MapRunControl] = field(default_factory=dict)

    def update(
        self,
        arn: str,
        *,
        max_concurrency: int | None = None,
        tolerated_count: float | None = None,
        tolerated_percentage: float | None = None,
    ) -> MapRunControl | None:
        """Change the settings given of Map Run ``arn``; None when it does not run here."""
        control = self.running.get(arn)
        if control is None:
            return None
        if max_concurrency is not None:
            control.slots.resize(max_concurrency)
        if tolerated_count is not None:
            control.tolerated_count = float(tolerated_count)
        if tolerated_percentage is not None:
            control.tolerated_percentage = float(tolerated_percentage)
        return control
