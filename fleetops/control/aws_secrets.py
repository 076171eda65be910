"""The fleet file's secrets of an aws environment, in Secrets Manager: what ``fleetops secrets
list | describe | versions | get | put`` show and do there, in the shapes they show for a local
environment's secret store.

A secret is the fleet file's ``aws_secret_id`` (a name or an ARN), else its fleet file name.
List shows the secrets the fleet file declares (an account holds many others); rotation is what
AWS says (RotationEnabled, RotationRules, NextRotationDate). Secrets Manager numbers no versions:
a version's number here is its place by creation date, oldest first. ``put`` is PutSecretValue
(CreateSecret when the secret does not exist yet). Values read or put through here are
remembered and redacted from what the control plane records and answers from then on.

Runs on the server's worker threads.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from fleetops.clock import SYSTEM_CLOCK, Clock
from fleetops.errors import BadInput
from fleetops.ops.secrets.catalog import SecretSummary, guarded_datastore
from fleetops.ops.secrets.vault import Revealed, SecretNotFound, check_value
from fleetops.providers.aws.session import AwsClients, AwsError, aws_call
from fleetops.redaction import MIN_SECRET_LENGTH
from fleetops.spec.fleet import Fleet
from fleetops.store.secrets import AWSCURRENT, STAGES, SecretVersion

_NOT_FOUND = "ResourceNotFoundException"
_LABEL_AGE = {"AWSPREVIOUS": 1, "AWSCURRENT": 2, "AWSPENDING": 3}
"""Versions made in the same second (CreatedDate has seconds) are ordered by their labels:
a deprecated one is older than AWSPREVIOUS, which is older than AWSCURRENT, then AWSPENDING."""


def _age(item: dict[str, Any]) -> tuple[datetime, int]:
    created = item.get("CreatedDate") or datetime.min.replace(tzinfo=UTC)
    return created, max((_LABEL_AGE.get(stage, 0) for stage in item.get("VersionStages") or ()), default=0)


class AwsSecrets:
    """The secrets of one aws environment (see the module docstring)."""

    def __init__(
        self,
        fleet: Fleet,
        environment: str,
        clients: AwsClients,
        *,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.fleet = fleet
        self.environment = environment
        self.clients = clients
        self._clock = clock
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def secret_id(self, name: str) -> str:
        """The Secrets Manager id of secret ``name``."""
        declared = self.fleet.secrets.get(name)
        return (declared.aws_secret_id if declared is not None else None) or name

    def seen_values(self) -> frozenset[str]:
        """The values read or put through here (what redaction removes)."""
        with self._lock:
            return frozenset(self._seen)

    def _remember(self, value: str) -> None:
        if len(value) >= MIN_SECRET_LENGTH:  # shorter ones cannot be redacted (nor put here)
            with self._lock:
                self._seen.add(value)

    def _call(self, action: str, name: str, method: str, **params: Any) -> Any:
        client = self.clients.client("secretsmanager")
        return aws_call(f"secretsmanager:{action}", self.secret_id(name), getattr(client, method), **params)

    def _describe(self, name: str) -> dict[str, Any] | None:
        try:
            found: dict[str, Any] = self._call(
                "DescribeSecret", name, "describe_secret", SecretId=self.secret_id(name)
            )
        except AwsError as err:
            if err.code == _NOT_FOUND:
                return None
            raise
        return found

    def summaries(self) -> list[SecretSummary]:
        """The fleet file's secrets, sorted by name."""
        return [self.summary(name) for name in sorted(self.fleet.secrets)]

    def summary(self, name: str) -> SecretSummary:
        """One secret (``SecretNotFound`` when the fleet file does not declare it and AWS does
        not have it)."""
        described = self._describe(name)
        declared = self.fleet.secrets.get(name)
        if described is None and declared is None:
            raise SecretNotFound(
                f"no secret {name!r} in environment {self.environment!r} ({self.secret_id(name)})"
            )
        versions = self.versions(name) if described is not None else []
        current = next((v for v in versions if AWSCURRENT in v.stages), None)
        rules = (described or {}).get("RotationRules") or {}
        days = rules.get("AutomaticallyAfterDays")
        rotating = bool((described or {}).get("RotationEnabled")) and isinstance(days, int)
        due = (described or {}).get("NextRotationDate") if rotating else None
        return SecretSummary(
            name=name,
            description=(declared.description if declared is not None else "")
            or (described or {}).get("Description", ""),
            declared=declared is not None,
            guards=guarded_datastore(self.fleet, name, self.environment),
            versions=len(versions),
            current=current,
            rotation_every_s=float(days) * 86400 if isinstance(days, int) and rotating else None,
            next_rotation=due,
            overdue=due is not None and due <= self._clock.now(),
        )

    def versions(self, name: str) -> list[SecretVersion]:
        """The secret's versions, oldest first (ListSecretVersionIds, deprecated ones included)."""
        items: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            more = {"NextToken": token} if token else {}
            page = self._call(
                "ListSecretVersionIds", name, "list_secret_version_ids",
                SecretId=self.secret_id(name), IncludeDeprecated=True, **more,
            )  # fmt: skip
            items.extend(page.get("Versions", []))
            token = page.get("NextToken")
            if not token:
                break
        items.sort(key=_age)
        return [
            SecretVersion(
                version_id=str(item["VersionId"]),
                number=index,
                created_at=item.get("CreatedDate") or self._clock.now(),
                created_by="aws",
                source="secretsmanager",
                stages=tuple(item.get("VersionStages") or ()),
            )
            for index, item in enumerate(items, start=1)
        ]

    def put(self, name: str, value: str) -> SecretVersion:
        """A new AWSCURRENT version (PutSecretValue; CreateSecret for a declared secret AWS does
        not have yet)."""
        check_value(name, value)
        self._remember(value)
        secret_id = self.secret_id(name)
        try:
            done = self._call(
                "PutSecretValue", name, "put_secret_value", SecretId=secret_id, SecretString=value
            )
        except AwsError as err:
            if err.code != _NOT_FOUND or name not in self.fleet.secrets or secret_id.startswith("arn:"):
                raise
            declared = self.fleet.secrets[name]
            done = self._call(
                "CreateSecret", name, "create_secret", Name=secret_id, SecretString=value,
                Description=declared.description,
            )  # fmt: skip
        version_id = str(done["VersionId"])
        return next(v for v in self.versions(name) if v.version_id == version_id)

    def reveal(self, name: str, *, stage: str | None = None, version_id: str | None = None) -> Revealed:
        """GetSecretValue of the version ``stage`` is on (or ``version_id``; neither: AWSCURRENT)."""
        if stage is not None and stage not in STAGES:
            raise BadInput(f"version stage {stage!r} is not one of {list(STAGES)}")
        params: dict[str, Any] = {"SecretId": self.secret_id(name)}
        if version_id is not None:
            params["VersionId"] = version_id
        if stage is not None or version_id is None:
            params["VersionStage"] = stage or AWSCURRENT
        try:
            got = self._call("GetSecretValue", name, "get_secret_value", **params)
        except AwsError as err:
            if err.code == _NOT_FOUND:
                raise SecretNotFound(
                    f"secret {name!r} in environment {self.environment!r}: {err.aws_message}"
                ) from err
            raise
        if "SecretString" not in got:
            raise BadInput(f"secret {name!r} holds a binary value: fleetops shows text values only")
        value = str(got["SecretString"])
        self._remember(value)
        version = next(v for v in self.versions(name) if v.version_id == got["VersionId"])
        return Revealed(version, value)
