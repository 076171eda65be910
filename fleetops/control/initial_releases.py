"""The releases ``fleetops up`` records: each service's first one, at the version it starts at.

A deployment that fails rolls each service it touched back to its last *verified* release, so a
service needs one before its first deployment. When the fleet runtime brings a service up and
the service has no release in the environment yet, :func:`pin_initial` pins one at the version
it is brought up at (execution ``up``); :func:`verify_ready` marks it verified once the
service is healthy at that version (its desired count in service and healthy, no other version
live): the runtime checks in the background (:func:`verify_when_ready`) until none waits, never
on a read of its status (a viewer's ``GET /fleet`` writes nothing); ``fleetops up`` waits for
it. A restart pins nothing (the service has a
release); one pinned but not verified yet (the control plane stopped before the service was
healthy) is verified once it is.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from fleetops.clock import SYSTEM_CLOCK
from fleetops.ops.releases import pin_releases
from fleetops.runbooks.ports import FleetStatus
from fleetops.spec.fleet import Fleet
from fleetops.store import Store
from fleetops.store.releases import Release, ReleaseConflict, ReleaseStatus

UP = "up"
"""The execution id of the releases ``fleetops up`` pins."""


def pin_initial(store: Store, fleet: Fleet, environment: str, service: str, version: str) -> Release | None:
    """Pin ``service``'s first release at ``version`` (and make it the service's current release);
    None when the service has a release in ``environment`` already."""
    if store.releases.list(environment=environment, service=service, limit=1):
        return None
    # Idempotent per (service, execution): two servers starting on one store pin one release.
    (release,) = pin_releases(
        store,
        fleet,
        environment=environment,
        versions={service: version},
        execution_id=UP,
        created_by="fleetops up",
    )
    state = store.service_state.get(environment, service)
    if state is not None and state.version == release.version:
        store.service_state.save(environment, service, release_number=release.number)
    return release


def verify_ready(store: Store, environment: str, status: FleetStatus) -> list[Release]:
    """Mark verified each initial release whose service is ready at its version; those left pinned.

    A service deployed since (a newer release) leaves its initial release pinned, and unwatched.
    """
    services = {s.name: s for s in status.services}
    waiting = []
    pinned = store.releases.list(environment=environment, execution_id=UP, status=ReleaseStatus.PINNED)
    for release in pinned:
        newest = store.releases.list(environment=environment, service=release.service, limit=1)
        if newest[0].number != release.number:
            continue
        service = services.get(release.service)
        if service is None or not (service.ready and service.version == release.version):
            waiting.append(release)
            continue
        try:
            store.releases.mark_verified(environment, release.service, release.number, now=SYSTEM_CLOCK.now())
        except ReleaseConflict:  # another server on this store finished it meanwhile
            continue
    return waiting


async def verify_when_ready(waiting: Callable[[], bool], *, interval_s: float = 0.5) -> None:
    """Call ``waiting`` (one look: it verifies what is ready, and says whether some release still
    waits) every ``interval_s`` until nothing waits."""
    while await asyncio.to_thread(waiting):
        await asyncio.sleep(interval_s)
