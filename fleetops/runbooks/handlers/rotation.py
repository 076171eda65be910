"""The four steps of a Secrets Manager rotation function, as the rotate-secret runbook's tasks.

| resource | step |
|---|---|
| ``fleetops:rotate-initialize`` | validate, take the environment's lock, find the secret's users |
| ``fleetops:rotate-create`` | createSecret: a new value as ``AWSPENDING`` (version id from the execution) |
| ``fleetops:rotate-set`` | setSecret: the guarded datastore accepts it (current login untouched) |
| ``fleetops:rotate-test`` | testSecret: log in with it |
| ``fleetops:rotate-finish`` | finishSecret: ``AWSCURRENT`` moves to it, the old one is ``AWSPREVIOUS`` |

What a secret guards decides what set and test do: the password of a PostgreSQL or Redis
datastore of the environment (``password_secret``) is set on that server; an app key (or the
password of a SQLite file, which has none) has nothing to set or log in to.

Values never pass through the execution's input or output: the plan names versions only, and
each step reads the value from the secrets store. Each step looks before it acts, so a retried
call (after a crash) does not act twice: the pending version's id is derived from the execution,
as Secrets Manager's ClientRequestToken is.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fleetops.engine import TaskContext, TaskFailure
from fleetops.errors import BadInput, FleetopsError, Refused
from fleetops.ops.gates import check_change
from fleetops.ops.locks import acquire_lock, release_lock
from fleetops.ops.releases import datastore_exists, secrets_used
from fleetops.ops.secrets.generate import generate_value
from fleetops.ops.secrets.vault import SecretsVault
from fleetops.runbooks.deps import RunbookDeps
from fleetops.runbooks.handlers.common import execution_name, requester, require_lock
from fleetops.runbooks.handlers.polls import poll_seconds
from fleetops.spec.fleet import Fleet
from fleetops.store.secrets import AWSCURRENT, AWSPENDING

ROTATION_FAILED = "fleetops.RotationFailed"
"""A step of a rotation failed; the cause is JSON ``{"step", "message"}``."""
DEFAULT_PICKUP_SECONDS = 300
"""How long the rotation waits for every instance to report the new version before it stops."""
KINDS = ("postgres", "redis")
"""The datastore kinds whose password a rotation sets on the server."""


def step_failed(step: str, message: str) -> TaskFailure:
    """``fleetops.RotationFailed`` naming the step it stopped at."""
    return TaskFailure(ROTATION_FAILED, json.dumps({"step": step, "message": message}))


@contextmanager
def step(name: str) -> Iterator[None]:
    """Any fleetops error inside becomes ``fleetops.RotationFailed`` naming step ``name``."""
    try:
        yield
    except TaskFailure:
        raise
    except FleetopsError as err:
        raise step_failed(name, err.message) from err


def vault_of(deps: RunbookDeps) -> SecretsVault:
    """The secrets store; ``BadInput`` when the runbooks were built without one."""
    if deps.secrets is None:
        raise BadInput("this control plane has no secrets store: a rotation cannot run")
    return deps.secrets


def guarded(fleet: Fleet, environment: str, secret: str) -> tuple[str | None, str]:
    """``(datastore, kind)`` of the datastore whose password ``secret`` is in ``environment``;
    ``(None, "app-key")`` when it guards none there (or one without a login, SQLite)."""
    for name, spec in fleet.datastores.items():
        if spec.password_secret == secret and datastore_exists(fleet, environment, name):
            kind = spec.kind.value
            return (name, kind) if kind in KINDS else (None, "app-key")
    return None, "app-key"


def consumers(fleet: Fleet, environment: str, secret: str) -> list[str]:
    """The services that get ``secret`` in ``environment`` (directly or as a datastore's login)."""
    return [
        name
        for name in fleet.services
        if fleet.service(name, environment).run is not None
        and secret in secrets_used(fleet, environment, name)
    ]


def pending_version_id(context: TaskContext, secret: str) -> str:
    """The pending version's id: the same for every retry of one execution."""
    return version_id_of(context.execution_arn, secret)


def version_id_of(execution_arn: str, secret: str) -> str:
    """The id of the version the rotation ``execution_arn`` makes of ``secret`` (unless its
    input names one: ``version_id``, a RotateSecret's ClientRequestToken)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"fleetops:{execution_arn}:{secret}"))


def initialize(deps: RunbookDeps, payload: dict[str, Any], context: TaskContext) -> dict[str, Any]:
    """The plan: ``{execution, environment, secret, kind, datastore, previous_version, version,
    services, ...}``. Takes the environment's lock (the redeploy needs it); refused in
    maintenance or when a user of the secret is blocked."""
    environment = str(payload.get("environment"))
    secret = str(payload.get("secret"))
    fleet = deps.fleet(environment)
    if environment not in fleet.environments:
        raise BadInput(
            f"unknown environment {environment!r} (the fleet has: {', '.join(sorted(fleet.environments))})"
        )
    if secret not in fleet.secrets:
        raise BadInput(
            f"unknown secret {secret!r} (the fleet file declares: {', '.join(sorted(fleet.secrets))})"
        )
    vault = vault_of(deps)
    previous = deps.store.secrets.stage_version(environment, secret, AWSCURRENT)
    if previous is None:
        raise BadInput(f"secret {secret!r} has no AWSCURRENT version in {environment!r}: nothing to rotate")
    name = execution_name(context)
    who = requester(deps, payload, context)
    users = consumers(fleet, environment, secret)
    acquire_lock(deps.store, environment, owner=name, reason=f"rotate {secret} by {who}", clock=deps.clock)
    try:
        check_change(
            deps.store, environment, users, action=f"rotation of {secret!r}", holder=name, clock=deps.clock
        )
    except Refused:
        release_lock(deps.store, environment, owner=name)
        raise
    datastore, kind = guarded(fleet, environment, secret)
    vault.refresh(environment)
    return {
        "execution": name,
        "environment": environment,
        "operation": "rotate",
        "requested_by": who,
        "secret": secret,
        "kind": kind,
        "datastore": datastore,
        "previous_version": previous,
        "version": str(payload.get("version_id") or pending_version_id(context, secret)),
        "services": users,
        "started_at": deps.clock.now().isoformat(),
        "poll_seconds": poll_seconds(fleet, environment, payload),
        "pickup_seconds": int(payload.get("pickup_seconds") or DEFAULT_PICKUP_SECONDS),
    }


def create_secret(deps: RunbookDeps, plan: dict[str, Any], _context: TaskContext) -> dict[str, Any]:
    """createSecret: a new generated value as ``AWSPENDING`` (for a datastore, the password of
    the user that is not current). A version made by an earlier call of this execution is kept."""
    with step("createSecret"):
        require_lock(deps, plan["environment"], plan["execution"])
        vault = vault_of(deps)
        environment, secret = plan["environment"], plan["secret"]
        known = {v.version_id: v for v in vault.versions(environment, secret)}
        if plan["version"] in known:
            return {"version": plan["version"], "username": known[plan["version"]].username, "created": False}
        user = None
        if plan["datastore"] is not None:
            user = deps.runtime_for(environment).rotation_user(plan["datastore"])
        length = deps.fleet(environment).secrets[secret].length
        made = vault.put(
            environment, secret, generate_value(length), by=plan["requested_by"], source="rotation",
            stages=(AWSPENDING,), version_id=plan["version"], username=user,
        )  # fmt: skip
        return {"version": made.version_id, "username": made.username, "created": True}


def set_secret(deps: RunbookDeps, plan: dict[str, Any], _context: TaskContext) -> dict[str, Any]:
    """setSecret: the guarded datastore accepts the pending value (nothing for an app key)."""
    with step("setSecret"):
        require_lock(deps, plan["environment"], plan["execution"])
        if plan["datastore"] is None:
            return {"set": False, "why": "an app key: nothing to set"}
        user, value = _pending_login(deps, plan)
        deps.runtime_for(plan["environment"]).set_login(plan["datastore"], user, value)
        return {"set": True, "datastore": plan["datastore"], "user": user}


def try_secret(deps: RunbookDeps, plan: dict[str, Any], _context: TaskContext) -> dict[str, Any]:
    """testSecret: log in to the guarded datastore with the pending value."""
    with step("testSecret"):
        require_lock(deps, plan["environment"], plan["execution"])
        if plan["datastore"] is None:
            return {"tested": False, "why": "an app key: nothing to log in to"}
        user, value = _pending_login(deps, plan)
        deps.runtime_for(plan["environment"]).try_login(plan["datastore"], user, value)
        return {"tested": True, "datastore": plan["datastore"], "user": user}


def finish_secret(deps: RunbookDeps, plan: dict[str, Any], _context: TaskContext) -> dict[str, Any]:
    """finishSecret: ``AWSCURRENT`` moves to the pending version (the one it leaves becomes
    ``AWSPREVIOUS``, still valid) and ``AWSPENDING`` is taken off."""
    with step("finishSecret"):
        require_lock(deps, plan["environment"], plan["execution"])
        vault = vault_of(deps)
        environment, secret, by = plan["environment"], plan["secret"], plan["requested_by"]
        if deps.store.secrets.stage_version(environment, secret, AWSCURRENT) != plan["version"]:
            vault.move_stage(environment, secret, AWSCURRENT, plan["version"], by=by)
        if deps.store.secrets.stage_version(environment, secret, AWSPENDING) is not None:
            vault.remove_stage(environment, secret, AWSPENDING, by=by)
        return {"current": plan["version"], "previous": plan["previous_version"]}


def _pending_login(deps: RunbookDeps, plan: dict[str, Any]) -> tuple[str | None, str]:
    revealed = vault_of(deps).reveal(plan["environment"], plan["secret"], version_id=plan["version"])
    return revealed.version.username, revealed.value
