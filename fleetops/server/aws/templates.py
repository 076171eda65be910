"""Launch template versions are releases: version N of a service's launch template is its
release #N in that environment, and the version's ``ImageId`` is the release's version (``v2``).

``$Latest`` is the newest release, ``$Default`` the template's default version (the service's
current release until ``modify-launch-template --default-version`` sets one). The version an
Auto Scaling group launches (``update-auto-scaling-group --launch-template ...Version=``) is the
one its next instance refresh deploys, shown as given (``$Latest`` stays ``$Latest``, as on AWS).
These two pointers are kept in the control plane's memory (``Pointers``): a restarted control
plane shows the current release in both again; the releases themselves are in the store.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from fleetops.server.aws.errors import AwsError
from fleetops.server.aws.resources import Group
from fleetops.store import Store
from fleetops.store.releases import Release

VERSION_NOT_FOUND = "InvalidLaunchTemplateId.VersionNotFound"
LATEST = "$Latest"
DEFAULT = "$Default"


@dataclass
class Pointers:
    """The default version of each launch template and the version each group launches, by
    (environment, service). Thread-safe."""

    defaults: dict[tuple[str, str], int] = field(default_factory=dict)
    group_versions: dict[tuple[str, str], str] = field(default_factory=dict)
    descriptions: dict[tuple[str, str, int], str] = field(default_factory=dict)
    """VersionDescription by (environment, service, version number)."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def default_version(self, store: Store, group: Group) -> int:
        """The template's default version number."""
        with self.lock:
            chosen = self.defaults.get((group.environment, group.service))
        return chosen if chosen is not None else current_number(store, group)

    def set_default(self, group: Group, number: int) -> None:
        with self.lock:
            self.defaults[(group.environment, group.service)] = number

    def group_version(self, store: Store, group: Group) -> str:
        """The version the group launches, as it was given (``$Latest``, ``$Default``, ``3``)."""
        with self.lock:
            chosen = self.group_versions.get((group.environment, group.service))
        return chosen if chosen is not None else str(current_number(store, group))

    def set_group_version(self, group: Group, version: str) -> None:
        with self.lock:
            self.group_versions[(group.environment, group.service)] = version


def pointers(state: object) -> Pointers:
    """The app's pointers (made on first use)."""
    found = getattr(state, "aws_launch_templates", None)
    if not isinstance(found, Pointers):
        found = Pointers()
        state.aws_launch_templates = found  # type: ignore[attr-defined]
    return found


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
