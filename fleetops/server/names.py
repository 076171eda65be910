"""The names in a request checked against the server's fleet file before a route acts on them
(:func:`fleetops.spec.names.check_names`; 400 naming the known ones)."""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import Request

from fleetops.spec.names import check_names


def check_request_names(
    request: Request,
    *,
    environments: Iterable[str | None] = (),
    services: Iterable[str | None] = (),
    alarms: Iterable[str | None] = (),
    channels: Iterable[str | None] = (),
) -> None:
    """Refuse (400) any name the server's fleet does not have; without a fleet file, any value
    that is not a name at all (``../../etc/passwd``)."""
    check_names(
        request.app.state.environments.fleet,
        environments=environments,
        services=services,
        alarms=alarms,
        channels=channels,
    )
