"""The server's ``FleetRuntime``: built from ``--fleet FILE --env ENV`` when the server starts."""

from __future__ import annotations

from fleetops.control.fleet import FleetRuntime
from fleetops.control.local_services import dev_secrets, fixed_ports, local_services
from fleetops.errors import BadInput
from fleetops.providers.local import LocalProvider
from fleetops.server.settings import ServerSettings
from fleetops.spec.loader import load_fleet
from fleetops.spec.models import LocalSettings
from fleetops.store import Store


def open_fleet_runtime(settings: ServerSettings, store: Store) -> FleetRuntime | None:
    """The runtime of ``settings.fleet_file`` in ``settings.environment`` (not started), or None
    without a fleet file. Only local environments run here (BadInput for an aws one)."""
    if settings.fleet_file is None:
        return None
    fleet = load_fleet(settings.fleet_file)
    environment = settings.environment
    if environment not in fleet.environments:
        known = ", ".join(sorted(fleet.environments))
        raise BadInput(f"{settings.fleet_file}: no environment {environment!r} (known: {known})")
    if not isinstance(fleet.environments[environment], LocalSettings):
        raise BadInput(
            f"environment {environment!r} runs on aws: the control plane runs local environments only"
        )
    provider = LocalProvider(
        local_services(fleet, environment),
        state_dir=settings.state_dir,
        secrets=dev_secrets(fleet, settings.state_dir),
        ports=fixed_ports(fleet, environment),
    )
    return FleetRuntime(
        fleet, environment, provider=provider, store=store, initial_version=settings.initial_version
    )
