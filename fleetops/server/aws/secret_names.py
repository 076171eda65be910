"""The Secrets Manager names of the local fleet's secrets: one secret per secret of each running
local environment (the ones ``fleetops secrets list --env <env>`` shows), with its state read
from the secret store's history.

A secret is named as on AWS: its ``aws_secret_id`` in the fleet file (a name, or an ARN whose
name is taken and which is its ARN here too), else its fleet file name. Its ARN is
``arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters>``, the 6 characters
(AWS's random suffix) a hash of the fleet, environment and name: two environments holding the
same name have two ARNs, and a name is ambiguous only while both run (the ARN always works).

What the store's versions do not say is in the secret's history (``secret_events``): its
description (``secret.described``, for a secret made by CreateSecret) and its deletion
(``secret.deleted`` with the date it takes effect, ``secret.restored``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from fleetops.server.aws.errors import AwsError
from fleetops.server.aws.operations import Call
from fleetops.server.aws.resources import ACCOUNT
from fleetops.spec.models import LocalSettings
from fleetops.spec.resources import Secret
from fleetops.store.secrets import SecretEvent

DESCRIBED = "secret.described"
DELETED = "secret.deleted"
RESTORED = "secret.restored"
_ARN_SUFFIX = re.compile(r"-[A-Za-z0-9]{6}$")


@dataclass(frozen=True)
class LocalSecret:
    """One secret of one running local environment, under its Secrets Manager names."""

    environment: str
    name: str
    """Its name in the fleet file and the secret store."""
    aws_name: str
    arn: str
    declared: Secret | None
    history: tuple[SecretEvent, ...]

    @property
    def description(self) -> str:
        """The fleet file's description, else the last one CreateSecret or UpdateSecret set."""
        if self.declared is not None and self.declared.description:
            return self.declared.description
        said = [e.detail.get("description", "") for e in self.history if e.action == DESCRIBED]
        return str(said[-1]) if said else ""

    @property
    def deleted_at(self) -> datetime | None:
        """When a DeleteSecret scheduled its deletion (None: not scheduled, or restored since)."""
        for event in reversed(self.history):
            if event.action == RESTORED:
                return None
            if event.action == DELETED:
                return event.at
        return None

    @property
    def exists(self) -> bool:
        """Whether it has a version (a declared secret gets its first when its environment starts)."""
        return any(event.action == "version.created" for event in self.history)

    @property
    def delete_on(self) -> datetime | None:
        """When its scheduled deletion takes effect (None: not scheduled)."""
        for event in reversed(self.history):
            if event.action == RESTORED:
                return None
            if event.action == DELETED:
                return datetime.fromisoformat(str(event.detail["delete_on"]))
        return None

    @property
    def last_changed(self) -> datetime | None:
        """The time of its last event."""
        return self.history[-1].at if self.history else None


def arn_of(call: Call, environment: str, name: str, aws_name: str) -> str:
    """The ARN of a secret named ``aws_name`` (see the module docstring)."""
    fleet = call.environments.fleet
    key = f"{fleet.name if fleet else ''}/{environment}/{name}"
    suffix = hashlib.sha256(key.encode()).hexdigest()[:6]
    return f"arn:aws:secretsmanager:{call.region}:{ACCOUNT}:secret:{aws_name}-{suffix}"


def local_environments(call: Call) -> list[str]:
    """The running environments whose secrets this control plane keeps (``provider: local``)."""
    fleet = call.environments.fleet
    if fleet is None:
        return []
    return [
        name for name in call.environments.names() if isinstance(fleet.environments.get(name), LocalSettings)
    ]


def secrets(call: Call, now: datetime) -> Iterator[LocalSecret]:
    """Every secret of every running local environment (declared, or with versions). A secret
    whose scheduled deletion is due at ``now`` is removed from the store here, and not given."""
    fleet = call.environments.fleet
    if fleet is None:
        return
    for environment in local_environments(call):
        for name in sorted(set(call.store.secrets.names(environment)) | set(fleet.secrets)):
            found = secret(call, environment, name)
            due = found.delete_on
            if due is not None and due <= now:
                call.store.secrets.purge(environment, name)
                continue
            yield found


def secret(call: Call, environment: str, name: str) -> LocalSecret:
    """One secret of ``environment`` (whether or not it exists yet)."""
    fleet = call.environments.fleet
    declared = fleet.secrets.get(name) if fleet is not None else None
    given = declared.aws_secret_id if declared is not None else None
    if given and given.startswith("arn:"):
        aws_name = _ARN_SUFFIX.sub("", given.split(":secret:", 1)[-1])
        arn = given
    else:
        aws_name = given or name
        arn = arn_of(call, environment, name, aws_name)
    history = tuple(call.store.secrets.history(environment, name))
    return LocalSecret(environment, name, aws_name, arn, declared, history)


def find(call: Call, secret_id: str, now: datetime, *, deleted_ok: bool = False) -> LocalSecret:
    """The secret ``secret_id`` names (its name, ARN, or ARN without the suffix);
    ResourceNotFoundException when none does, InvalidRequestException while it is scheduled
    for deletion (unless ``deleted_ok``)."""
    found = [
        s
        for s in secrets(call, now)
        if secret_id in (s.aws_name, s.arn, _ARN_SUFFIX.sub("", s.arn)) and s.exists
    ]
    if len(found) > 1:
        where = ", ".join(f"{s.environment}: {s.arn}" for s in found)
        raise AwsError(
            "InvalidParameterException",
            f"{secret_id} names a secret of several running environments; give its ARN ({where})",
        )
    if not found:
        raise not_found()
    if found[0].deleted_at is not None and not deleted_ok:
        raise AwsError(
            "InvalidRequestException",
            "You can't perform this operation on the secret because it was marked for deletion.",
        )
    return found[0]


def not_found() -> AwsError:
    """Secrets Manager's error for a secret it does not have."""
    return AwsError("ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
