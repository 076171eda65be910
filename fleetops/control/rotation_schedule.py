"""``RotationSchedule``: the fleet file's ``rotation: {every: 30d}`` (or the ``RotationRules`` a
RotateSecret on the AWS endpoint set since: ``ops.secrets.rotation_rules``), acted on by the
control plane.

A secret is due once its AWSCURRENT version is ``every`` old (what ``fleetops secrets list``
shows as the next rotation). Each look (at start, then every ``interval_s`` of the one
:class:`~fleetops.clock.Clock`) starts the rotate-secret runbook for every due secret of every
running environment, so a rotation missed while the control plane was down runs once, at its
start: the new version it makes is not due again for another ``every``. A start refused (the
environment's lock is held, maintenance) is tried again at the next look; a secret whose
rotation was started here is not started again for ``retry_after_s`` (a failed rotation is
retried then, not at every look). Runs on the server's event loop (starting an execution needs it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from fleetops.clock import Clock
from fleetops.errors import FleetopsError
from fleetops.ops.secrets.rotation_rules import rotation_rules
from fleetops.spec.fleet import Fleet
from fleetops.store import Store
from fleetops.store.secrets import AWSCURRENT

log = logging.getLogger(__name__)
DEFAULT_INTERVAL_S = 60.0
DEFAULT_RETRY_AFTER_S = 3600.0

Running = Callable[[], list[tuple[str, Fleet]]]
"""The running environments and the fleet file each runs."""
Start = Callable[[str, str], object]
"""Start the rotation of (environment, secret); ``Refused`` when it may not run now."""


class RotationSchedule:
    """See the module docstring."""

    def __init__(
        self,
        store: Store,
        running: Running,
        start: Start,
        clock: Clock,
        *,
        interval_s: float = DEFAULT_INTERVAL_S,
        retry_after_s: float = DEFAULT_RETRY_AFTER_S,
    ) -> None:
        self._store = store
        self._running = running
        self._start = start
        self._clock = clock
        self.interval_s = interval_s
        self._retry_after = timedelta(seconds=retry_after_s)
        self._started: dict[tuple[str, str], datetime] = {}

    def due(self) -> list[tuple[str, str]]:
        """(environment, secret) of every secret whose rotation is due now."""
        now = self._clock.now()
        out = []
        for environment, fleet in self._running():
            for name, secret in sorted(fleet.secrets.items()):
                every = rotation_rules(self._store.secrets.history(environment, name), secret).every
                if every is None:
                    continue
                current = self._store.secrets.stage_version(environment, name, AWSCURRENT)
                made = next(
                    (
                        v.created_at
                        for v in self._store.secrets.versions(environment, name)
                        if v.version_id == current
                    ),
                    None,
                )
                if made is not None and made + every <= now:
                    out.append((environment, name))
        return out

    def tick(self) -> list[tuple[str, str]]:
        """Start the rotation of every due secret not started here lately; those started."""
        now = self._clock.now()
        started = []
        for key in self.due():
            last = self._started.get(key)
            if last is not None and now - last < self._retry_after:
                continue
            try:
                self._start(*key)
            except FleetopsError as err:  # refused now (lock, maintenance): the next look tries again
                log.info("scheduled rotation of %s in %s not started: %s", key[1], key[0], err.message)
                continue
            self._started[key] = now
            started.append(key)
        return started

    async def run(self) -> None:
        """Look now, then every ``interval_s``, until cancelled."""
        while True:
            try:
                self.tick()
            except Exception:  # a store hiccup must not end the schedule
                log.exception("the rotation schedule's look failed")
            await self._clock.sleep(self.interval_s)
