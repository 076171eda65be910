"""The server's fleet runtimes: one per running environment of ``--fleet FILE``: a
``FleetRuntime`` over the local provider for a ``local`` one, an ``AwsFleetRuntime`` for an
``aws`` one.

``open_environments`` makes the server's :class:`Environments` and opens ``--env`` in it (not
started); ``fleetops up --env X`` later adds more through ``POST /environments``. Each
environment keeps its processes' state under ``<state dir>/envs/<environment>/`` (HAProxy's
config and socket, pid files, logs, data), so environments never share a file. Their secrets are
in the store (``SecretsVault``): opening a local environment imports a sandbox's old
``secrets.json`` once and gives each declared secret without a version its first one.

Load-balancer ports a fleet file pins (``run.port``) are checked before anything starts: two
environments on one machine cannot both bind 8080, so the second is refused with the port, the
environment holding it, and the override that fixes it
(``services.gateway.overrides.stage.run.port``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from fleetops.control.alarm_runbooks import AlarmRunbooks
from fleetops.control.aws_runtime import AwsFleetRuntime
from fleetops.control.environments import Environments, Opener, check_local
from fleetops.control.fleet import FleetRuntime
from fleetops.control.local_services import fixed_ports, local_datastores, local_services
from fleetops.errors import BadInput
from fleetops.ops.alarms.actions import StartRunbook
from fleetops.ops.secrets.cipher import Cipher
from fleetops.ops.secrets.vault import SecretNotFound, SecretsVault
from fleetops.providers.local import LocalProvider
from fleetops.providers.local.datastores import LocalDatastores, LoginSource
from fleetops.providers.local.provider import SecretValue
from fleetops.redaction import secret_redactor
from fleetops.runbooks.ports import FleetControl
from fleetops.server.settings import ServerSettings, environment_state_dir
from fleetops.spec.fleet import Fleet
from fleetops.spec.loader import load_fleet
from fleetops.spec.models import AwsSettings
from fleetops.store import Store
from fleetops.store.secrets import AWSCURRENT, AWSPREVIOUS


def open_environments(
    settings: ServerSettings,
    store: Store,
    vault: SecretsVault | None = None,
    runbooks: AlarmRunbooks | None = None,
    *,
    opener: Opener | None = None,
) -> Environments:
    """The server's environments: ``settings.environment`` (and ``more_environments``) of
    ``settings.fleet_file`` opened (not started), or none without a fleet file. ``BadInput`` for
    an unknown one, or pinned ports that collide.

    ``opener`` builds the runtimes instead of the providers the fleet file names: only Python
    code passes one (``fleetops bench orchestrator``'s timed fake fleet), never a fleet file."""
    if settings.fleet_file is None:
        return Environments()
    fleet_file = settings.fleet_file

    def provider_opener(
        fleet: Fleet, environment: str, initial_version: str, running: Sequence[FleetControl]
    ) -> FleetControl:
        if isinstance(fleet.environments.get(environment), AwsSettings):
            return AwsFleetRuntime(fleet, environment, store=store, initial_version=initial_version)
        return open_fleet_runtime(
            fleet, environment, state_dir=settings.state_dir, store=store,
            initial_version=initial_version, running=running, vault=vault,
            start_runbook=runbooks.starter(environment) if runbooks is not None else None,
        )  # fmt: skip

    environments = Environments(
        load_fleet(fleet_file),
        opener=opener or provider_opener,
        load=lambda: load_fleet(fleet_file),
        fleet_file=fleet_file,
    )
    for name in dict.fromkeys((settings.environment, *settings.more_environments)):
        environments.open(name, settings.initial_version)
    return environments


def open_fleet_runtime(
    fleet: Fleet,
    environment: str,
    *,
    state_dir: Path,
    store: Store,
    initial_version: str = "v1",
    running: Sequence[FleetControl] = (),
    vault: SecretsVault | None = None,
    start_runbook: StartRunbook | None = None,
) -> FleetRuntime:
    """The runtime of ``fleet``'s ``environment`` (not started), its state in
    ``<state_dir>/envs/<environment>/``. Only local environments run on a local provider
    (BadInput for an aws one); BadInput when a pinned port is taken by a ``running`` environment."""
    check_local(fleet, environment)
    ports = fixed_ports(fleet, environment)
    check_ports(environment, ports, ports_in_use(running))
    folder = environment_state_dir(state_dir, environment)
    vault = vault or SecretsVault(store, Cipher.from_state_dir(state_dir))
    prepare_secrets(vault, fleet, environment, folder)
    datastores = local_datastores(
        fleet,
        environment,
        folder,
        logins=current_logins(vault, fleet, environment),
        previous_logins=current_logins(vault, fleet, environment, stage=AWSPREVIOUS),
    )
    import_datastore_passwords(vault, datastores, environment)

    def secret_values() -> frozenset[str]:
        return vault.redaction_values(environment) | datastores.passwords()

    def handed_out(name: str, pinned: str | None) -> SecretValue:
        revealed = vault.resolve(environment, name, pinned)
        return SecretValue(revealed.value, revealed.version.version_id, revealed.version.username)

    provider = LocalProvider(
        local_services(fleet, environment, datastores.urls()),
        state_dir=folder,
        versioned_secrets=handed_out,
        ports=ports,
        redactor=secret_redactor(secret_values),
        datastores=datastores,
    )
    return FleetRuntime(
        fleet, environment, provider=provider, store=store, initial_version=initial_version,
        secret_values=secret_values, datastores=datastores, start_runbook=start_runbook,
    )  # fmt: skip


def prepare_secrets(vault: SecretsVault, fleet: Fleet, environment: str, folder: Path) -> None:
    """Import the sandbox's old ``secrets.json`` (once: the file goes after), then give every
    secret the fleet file declares and the store lacks its first, generated, version."""
    vault.import_values_file(environment, folder / "secrets.json", by="fleetops up")
    for name, secret in fleet.secrets.items():
        vault.ensure(environment, name, secret.length, by="fleetops up")


def current_logins(
    vault: SecretsVault, fleet: Fleet, environment: str, *, stage: str = AWSCURRENT
) -> LoginSource:
    """The login of each datastore linked to a secret (PostgreSQL or Redis with
    ``password_secret``): its ``stage`` version's user and value (None: no version has it)."""

    def login(name: str) -> tuple[str | None, str] | None:
        spec = fleet.datastores.get(name)
        if spec is None or spec.password_secret is None or spec.kind.value not in ("postgres", "redis"):
            return None
        if stage == AWSCURRENT:
            revealed = vault.reveal(environment, spec.password_secret)
        else:
            try:
                revealed = vault.reveal(environment, spec.password_secret, stage=stage)
            except SecretNotFound:
                return None
        return revealed.version.username, revealed.value

    return login


def import_datastore_passwords(vault: SecretsVault, datastores: LocalDatastores, environment: str) -> None:
    """A datastore linked to a secret whose server a former fleetops made with a generated
    password (kept in its folder's ``password`` file): that password becomes the secret's
    AWSCURRENT version (the server and running instances keep using it), then the file goes."""
    for name, store in datastores.stores.items():
        path = datastores.home(name) / "password"
        if store.password_secret is None or not path.exists():
            continue
        vault.put(
            environment, store.password_secret, path.read_text().strip(), by="fleetops up", source="imported"
        )
        path.unlink()


def ports_in_use(running: Sequence[FleetControl]) -> dict[int, tuple[str, str]]:
    """Port -> (environment, service) of every load balancer the ``running`` runtimes bind."""
    out: dict[int, tuple[str, str]] = {}
    for runtime in running:
        if isinstance(runtime, FleetRuntime) and isinstance(runtime.provider, LocalProvider):
            for service, port in runtime.provider.ports.items():
                out[port] = (runtime.environment, service)
    return out


def check_ports(environment: str, ports: Mapping[str, int], taken: Mapping[int, tuple[str, str]]) -> None:
    """BadInput naming every pinned port of ``environment`` another environment (or another of
    its own services) already binds, and how to give it another one."""
    problems: list[str] = []
    bad: list[str] = []
    first: dict[int, str] = {}
    for service, port in sorted(ports.items()):
        if port in taken:
            other_env, other_service = taken[port]
            problems.append(
                f"{service}: port {port} is already the load-balancer port of {other_service} in "
                f"environment {other_env!r}"
            )
            bad.append(service)
        elif port in first:
            problems.append(f"{service}: port {port} is also pinned for {first[port]}")
            bad.append(service)
        first.setdefault(port, service)
    if problems:
        raise BadInput(
            f"environment {environment!r} cannot start: {'; '.join(problems)}. Pin another port for "
            f"this environment in the fleet file (services.{bad[0]}.overrides.{environment}.run.port), "
            "or set it to null for a free one",
            problems,
        )
