"""Launch template versions are releases: version N of a service's launch template is its
release #N in that environment, and the version's ``ImageId`` is the release's version (``v2``).

``$Latest`` is the newest release, ``$Default`` the template's default version (the service's
current release until ``modify-launch-template --default-version`` sets one). The version an
Auto Scaling group launches (``update-auto-scaling-group --launch-template ...Version=``) is the
one its next instance refresh deploys, shown as given (``$Latest`` stays ``$Latest``, as on AWS).
These two pointers and the versions' descriptions are kept in the store (``Pointers``), so a
restarted control plane shows them as they were; the releases themselves are in the store too.
"""

from __future__ import annotations

from fleetops.server.aws.errors import AwsError
from fleetops.server.aws.resources import Group
from fleetops.store import Store
from fleetops.store.releases import Release

VERSION_NOT_FOUND = "InvalidLaunchTemplateId.VersionNotFound"
LATEST = "$Latest"
DEFAULT = "$Default"


class Pointers:
    """The default version of each launch template, the version each group launches and the
    versions' descriptions, by (environment, service), in the store (``store.launch_templates``)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def default_version(self, store: Store, group: Group) -> int:
        """The template's default version number."""
        chosen = self._store.launch_templates.get(group.environment, group.service).default_version
        return chosen if chosen is not None else current_number(store, group)

    def set_default(self, group: Group, number: int) -> None:
        self._store.launch_templates.set_default(group.environment, group.service, number)

    def group_version(self, store: Store, group: Group) -> str:
        """The version the group launches, as it was given (``$Latest``, ``$Default``, ``3``)."""
        chosen = self._store.launch_templates.get(group.environment, group.service).group_version
        return chosen if chosen is not None else str(current_number(store, group))

    def set_group_version(self, group: Group, version: str) -> None:
        self._store.launch_templates.set_group_version(group.environment, group.service, version)

    def description(self, group: Group, number: int) -> str | None:
        """The VersionDescription CreateLaunchTemplateVersion gave version ``number``."""
        return self._store.launch_templates.get(group.environment, group.service).descriptions.get(
            str(number)
        )

    def set_description(self, group: Group, number: int, text: str) -> None:
        self._store.launch_templates.set_description(group.environment, group.service, number, text)


def pointers(state: object) -> Pointers:
    """The pointers over the app's store."""
    store: Store = state.store  # type: ignore[attr-defined]
    return Pointers(store)


def releases(store: Store, group: Group) -> list[Release]:
    """The group's releases, oldest first: version N is ``releases[N-1]`` when none is missing."""
    found = store.releases.list(environment=group.environment, service=group.service, limit=1000)
    return sorted(found, key=lambda release: release.number)


def current_number(store: Store, group: Group) -> int:
    """The number of the release the service runs (its desired state), or its newest one."""
    state = store.service_state.get(group.environment, group.service)
    if state is not None and state.release_number:
        return state.release_number
    known = releases(store, group)
    return known[-1].number if known else 0


def resolve(
    store: Store,
    group: Group,
    version: str | None,
    memory: Pointers,
    *,
    code: str = VERSION_NOT_FOUND,
) -> Release:
    """The release a launch template version names (None: the group's own version); ``code``
    is the error's when it names none (EC2's, or Auto Scaling's ValidationError)."""
    chosen = version if version is not None else memory.group_version(store, group)
    known = releases(store, group)
    if chosen == DEFAULT:
        chosen = str(memory.default_version(store, group))
    if chosen == LATEST:
        if not known:
            raise not_found(group, chosen, code)
        return known[-1]
    if not chosen.isdigit():
        raise AwsError(code, f"launch template version {chosen!r} is not a number, $Latest or $Default")
    for release in known:
        if release.number == int(chosen):
            return release
    raise not_found(group, chosen, code)


def not_found(group: Group, version: str, code: str) -> AwsError:
    """The error for a version that does not exist."""
    return AwsError(
        code,
        f"Could not find launch template version {version} for template {group.launch_template_id} "
        f"(service {group.service} in {group.environment}: its releases are its versions)",
    )
