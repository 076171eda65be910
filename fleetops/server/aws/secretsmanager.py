"""Secrets Manager over the local fleet's secret store: the secrets ``fleetops secrets`` shows,
under the names ``secret_names`` gives them.

Values go through the same vault as ``fleetops secrets put`` and ``get --reveal``: sealed at rest,
and an answer holding one (GetSecretValue) needs the admin role, as ``--reveal`` does, and is in
the audit log without the value (its ``SecretString`` is redacted there by its key). Versions and
the labels AWSCURRENT, AWSPENDING and AWSPREVIOUS move as Secrets Manager moves them
(``store.secrets``); other labels, binary values, KMS keys and replication have no local meaning
and are refused. RotateSecret runs fleetops' rotation runbook (``secret_rotation``).

A secret of the fleet file cannot be deleted here (its services start with it); one made by
CreateSecret can, after a recovery window (7 to 30 days, default 30) or at once with
ForceDeleteWithoutRecovery, and RestoreSecret cancels a scheduled deletion.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from fleetops.errors import BadInput
from fleetops.ops.secrets.rotation_rules import rotation_rules
from fleetops.ops.secrets.vault import SecretsVault
from fleetops.server.aws import pages
from fleetops.server.aws.errors import AwsError
from fleetops.server.aws.operations import Call, Output, Params, operation
from fleetops.server.aws.secret_names import (
    DELETED,
    DESCRIBED,
    RESTORED,
    LocalSecret,
    find,
    local_environments,
    not_found,
    secret,
    secrets,
)
from fleetops.server.roles import Role
from fleetops.spec.resources import NAME_PATTERN
from fleetops.store.secrets import AWSCURRENT, STAGES, SecretVersion

SM = "secretsmanager"
ENVIRONMENT_TAG = "Environment"
"""The tag naming the environment of a secret CreateSecret makes (several running)."""


def _invalid(message: str) -> AwsError:
    return AwsError("InvalidParameterException", message)


def _vault(call: Call) -> SecretsVault:
    vault: SecretsVault = call.state.secrets
    return vault


def _find(call: Call, params: Params, *, deleted_ok: bool = False) -> LocalSecret:
    return find(call, params["SecretId"], call.clock.now(), deleted_ok=deleted_ok)


def _versions(call: Call, found: LocalSecret) -> list[SecretVersion]:
    return call.store.secrets.versions(found.environment, found.name)


def _text_value(params: Params) -> str | None:
    if params.get("SecretBinary") is not None:
        raise _invalid("fleetops keeps text values only: give SecretString, not SecretBinary")
    for unsupported in ("KmsKeyId", "AddReplicaRegions", "Type", "RotationToken"):
        if params.get(unsupported) is not None:
            raise _invalid(
                f"{unsupported} has no local meaning (values are sealed with .fleetops/secrets.key)"
            )
    value = params.get("SecretString")
    return None if value is None else str(value)


def _put(call: Call, found: LocalSecret, value: str, token: str | None, stages: list[str]) -> SecretVersion:
    """A new version (``token`` its id, as AWS makes ClientRequestToken the VersionId); the same
    token again with the same value is the version already made, as on AWS."""
    unknown = [stage for stage in stages if stage not in STAGES]
    if unknown:
        raise _invalid(f"fleetops keeps the labels {', '.join(STAGES)} only, not {', '.join(unknown)}")
    if token is not None:
        for version in _versions(call, found):
            if version.version_id == token:
                same = _vault(call).reveal(found.environment, found.name, version_id=token).value == value
                if not same:
                    raise AwsError(
                        "ResourceExistsException",
                        f"version {token} of {found.aws_name} exists with another value",
                    )
                return version
    try:
        return _vault(call).put(
            found.environment,
            found.name,
            value,
            by=call.principal.name,
            source="put",
            stages=stages,
            version_id=token,
        )
    except BadInput as err:
        raise _invalid(err.message) from None


def _stages_map(versions: list[SecretVersion]) -> dict[str, list[str]]:
    return {v.version_id: list(v.stages) for v in versions if v.stages}


def _tags(call: Call, found: LocalSecret) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in call.store.tags.list(found.arn).items()]


def _summary(call: Call, found: LocalSecret) -> dict[str, Any]:
    versions = _versions(call, found)
    return {
        "ARN": found.arn,
        "Name": found.aws_name,
        "Description": found.description or None,
        **_rotation(found),
        "LastChangedDate": found.last_changed,
        "DeletedDate": found.deleted_at,
        "Tags": _tags(call, found),
        "CreatedDate": versions[0].created_at if versions else None,
        "_stages": _stages_map(versions),
    }


def _rotation(found: LocalSecret) -> dict[str, Any]:
    rules = rotation_rules(found.history, found.declared)
    if rules.every is None:
        return {"RotationEnabled": False}
    days, rest = divmod(round(rules.every.total_seconds()), 86400)
    shown = (
        {"AutomaticallyAfterDays": days}
        if not rest
        else {"ScheduleExpression": f"rate({round(rules.every.total_seconds() / 3600)} hours)"}
    )
    return {"RotationEnabled": True, "RotationRules": shown}


@operation(SM, "DescribeSecret")
def describe_secret(call: Call, params: Params) -> Output:
    """The secret's names, description, dates, tags and which version each label is on."""
    found = _find(call, params, deleted_ok=True)
    summary = _summary(call, found)
    stages = summary.pop("_stages")
    return {**summary, "VersionIdsToStages": stages}


_FILTER_KEYS = ("name", "description", "tag-key", "tag-value", "all")


def _matches(summary: dict[str, Any], filters: list[dict[str, Any]]) -> bool:
    for item in filters:
        key, values = item.get("Key"), item.get("Values") or []
        if key not in _FILTER_KEYS:
            raise _invalid(f"filter key {key!r} is not served here (use one of {', '.join(_FILTER_KEYS)})")
        tags = summary["Tags"]
        fields = {
            "name": [summary["Name"]],
            "description": [summary["Description"] or ""],
            "tag-key": [t["Key"] for t in tags],
            "tag-value": [t["Value"] for t in tags],
        }
        fields["all"] = [text for texts in fields.values() for text in texts]
        # As on AWS: a value matches by prefix, case-insensitively; "!" negates it.
        for value in values:
            negate = value.startswith("!")
            wanted = value.removeprefix("!").lower()
            hit = any(text.lower().startswith(wanted) for text in fields[str(key)])
            if hit == negate:
                return False
    return True


@operation(SM, "ListSecrets")
def list_secrets(call: Call, params: Params) -> Output:
    """The secrets (``Filters``; those scheduled for deletion with ``IncludePlannedDeletion``)."""
    planned = bool(params.get("IncludePlannedDeletion"))
    found = [s for s in secrets(call, call.clock.now()) if s.exists and (planned or s.deleted_at is None)]
    summaries = [_summary(call, s) for s in found]
    summaries = [s for s in summaries if _matches(s, params.get("Filters") or [])]
    key = {"name": "Name", "created-date": "CreatedDate", "last-changed-date": "LastChangedDate"}.get(
        params.get("SortBy", "created-date"), "CreatedDate"
    )
    summaries.sort(key=lambda s: (s[key] is None, s[key] or ""), reverse=params.get("SortOrder") == "desc")
    page, token = pages.page(
        summaries, params, default=100, limit=100, size_key="MaxResults", invalid="InvalidNextTokenException"
    )
    return {
        "SecretList": [_listed(s) for s in page],
        "NextToken": token,
    }


def _listed(summary: dict[str, Any]) -> dict[str, Any]:
    stages = summary.pop("_stages")
    return {**summary, "SecretVersionsToStages": stages}


@operation(SM, "GetSecretValue", Role.ADMIN, target="SecretId", redact=False)
def get_secret_value(call: Call, params: Params) -> Output:
    """The value of the version with ``VersionStage`` (or ``VersionId``; neither: AWSCURRENT).
    Admin only, as ``fleetops secrets get --reveal``; the answer is not redacted."""
    found = _find(call, params)
    stage, version_id = params.get("VersionStage"), params.get("VersionId")
    if stage is not None and stage not in STAGES:
        raise AwsError(
            "ResourceNotFoundException",
            f"Secrets Manager can't find the specified secret value for staging label: {stage}",
        )
    versions = {v.version_id: v for v in _versions(call, found)}
    if version_id is not None and version_id not in versions:
        raise AwsError(
            "ResourceNotFoundException",
            f"Secrets Manager can't find the specified secret value for VersionId: {version_id}",
        )
    try:
        revealed = _vault(call).reveal(found.environment, found.name, stage=stage, version_id=version_id)
    except BadInput:
        raise AwsError(
            "ResourceNotFoundException",
            f"Secrets Manager can't find the specified secret value for staging label: {stage}",
        ) from None
    if stage is not None and stage not in revealed.version.stages:
        raise AwsError("ResourceNotFoundException", f"version {version_id} does not have the label {stage}")
    return {
        "ARN": found.arn,
        "Name": found.aws_name,
        "VersionId": revealed.version.version_id,
        "SecretString": revealed.value,
        "VersionStages": list(revealed.version.stages),
        "CreatedDate": revealed.version.created_at,
    }


@operation(SM, "PutSecretValue", Role.OPERATOR, target="SecretId")
def put_secret_value(call: Call, params: Params) -> Output:
    """A new version (labels ``VersionStages``, default AWSCURRENT: the current version becomes
    AWSPREVIOUS). Instances started from then on get it, as after ``fleetops secrets put``."""
    found = _find(call, params)
    value = _text_value(params)
    if value is None:
        raise _invalid("give SecretString")
    version = _put(
        call, found, value, params.get("ClientRequestToken"), params.get("VersionStages") or [AWSCURRENT]
    )
    return {
        "ARN": found.arn,
        "Name": found.aws_name,
        "VersionId": version.version_id,
        "VersionStages": list(version.stages),
    }


@operation(SM, "UpdateSecret", Role.OPERATOR, target="SecretId")
def update_secret(call: Call, params: Params) -> Output:
    """A new AWSCURRENT version (``SecretString``) and/or a new description (a secret of the
    fleet file takes its description from there)."""
    found = _find(call, params)
    value = _text_value(params)
    description = params.get("Description")
    if description is not None:
        if found.declared is not None:
            raise _invalid(
                f"the description of {found.aws_name} is the fleet file's (secrets.{found.name}.description)"
            )
        call.store.secrets.record(
            found.environment,
            found.name,
            DESCRIBED,
            by=call.principal.name,
            at=call.clock.now(),
            detail={"description": description},
        )
    out: dict[str, Any] = {"ARN": found.arn, "Name": found.aws_name}
    if value is not None:
        out["VersionId"] = _put(call, found, value, params.get("ClientRequestToken"), [AWSCURRENT]).version_id
    return out


@operation(SM, "CreateSecret", Role.OPERATOR, target="Name")
def create_secret(call: Call, params: Params) -> Output:
    """A new secret with its first version, in the only running local environment (or the one
    its ``Environment`` tag names)."""
    name = params["Name"]
    if not re.match(NAME_PATTERN, name):
        raise _invalid(f"Name {name!r}: fleetops names secrets like its fleet file does ({NAME_PATTERN})")
    value = _text_value(params)
    if value is None:
        raise _invalid("give SecretString: fleetops keeps a secret from its first value")
    tags = {t["Key"]: t["Value"] for t in params.get("Tags") or []}
    environment = _environment_for(call, tags.get(ENVIRONMENT_TAG))
    fleet = call.environments.fleet
    if fleet is not None and any(s.aws_secret_id == name for s in fleet.secrets.values()):
        raise AwsError(
            "ResourceExistsException", f"The operation failed because the secret {name} already exists."
        )
    made = secret(call, environment, name)
    if made.exists:
        if made.deleted_at is not None:
            raise AwsError(
                "InvalidRequestException",
                "You can't create this secret because a secret with this name is already scheduled "
                "for deletion.",
            )
        raise AwsError(
            "ResourceExistsException", f"The operation failed because the secret {name} already exists."
        )
    version = _put(call, made, value, params.get("ClientRequestToken"), [AWSCURRENT])
    if params.get("Description"):
        call.store.secrets.record(
            environment,
            name,
            DESCRIBED,
            by=call.principal.name,
            at=call.clock.now(),
            detail={"description": params["Description"]},
        )
    if tags:
        call.store.tags.tag(made.arn, tags)
    return {"ARN": made.arn, "Name": made.aws_name, "VersionId": version.version_id}


def _environment_for(call: Call, tagged: str | None) -> str:
    running = local_environments(call)
    if tagged is not None:
        if tagged not in running:
            raise _invalid(
                f"tag {ENVIRONMENT_TAG}={tagged}: not a running local environment "
                f"(running: {', '.join(running) or 'none'})"
            )
        return tagged
    if len(running) != 1:
        raise _invalid(
            f"several local environments run ({', '.join(running)}): "
            f"tag the secret {ENVIRONMENT_TAG}=<one of them>"
            if running
            else "no local environment is running"
        )
    return running[0]


@operation(SM, "UpdateSecretVersionStage", Role.OPERATOR, target="SecretId")
def update_secret_version_stage(call: Call, params: Params) -> Output:
    """Move a label to ``MoveToVersionId`` (from ``RemoveFromVersionId``, required when it is on
    a version), or take it off ``RemoveFromVersionId``. Moving AWSCURRENT puts AWSPREVIOUS on
    the version it leaves."""
    found = _find(call, params)
    stage, move_to, remove_from = (
        params["VersionStage"],
        params.get("MoveToVersionId"),
        params.get("RemoveFromVersionId"),
    )
    if stage not in STAGES:
        raise _invalid(f"fleetops keeps the labels {', '.join(STAGES)} only, not {stage}")
    held = call.store.secrets.stage_version(found.environment, found.name, stage)
    if remove_from is not None and remove_from != held:
        raise _invalid(f"The staging label {stage} is not attached to version {remove_from}.")
    if move_to is not None and held not in (None, move_to) and remove_from is None:
        raise _invalid(
            f"The staging label {stage} is currently attached to version {held}, "
            "so you must explicitly reference that version in RemoveFromVersionId."
        )
    vault = _vault(call)
    try:
        if move_to is not None:
            vault.move_stage(found.environment, found.name, stage, move_to, by=call.principal.name)
        elif remove_from is not None:
            if stage == AWSCURRENT:
                raise _invalid("AWSCURRENT can only be moved to another version (give MoveToVersionId)")
            vault.remove_stage(found.environment, found.name, stage, by=call.principal.name)
        else:
            raise _invalid("give MoveToVersionId, RemoveFromVersionId, or both")
    except BadInput as err:
        raise AwsError("ResourceNotFoundException", err.message) from None
    return {"ARN": found.arn, "Name": found.aws_name}


@operation(SM, "ListSecretVersionIds")
def list_secret_version_ids(call: Call, params: Params) -> Output:
    """The versions with a label, newest first (also those without: ``IncludeDeprecated``)."""
    found = _find(call, params, deleted_ok=True)
    versions = [v for v in reversed(_versions(call, found)) if v.stages or params.get("IncludeDeprecated")]
    page, token = pages.page(
        versions, params, default=100, limit=100, size_key="MaxResults", invalid="InvalidNextTokenException"
    )
    return {
        "Versions": [
            {"VersionId": v.version_id, "VersionStages": list(v.stages), "CreatedDate": v.created_at}
            for v in page
        ],
        "NextToken": token,
        "ARN": found.arn,
        "Name": found.aws_name,
    }


@operation(SM, "TagResource", Role.OPERATOR, target="SecretId")
def tag_resource(call: Call, params: Params) -> Output:
    """Set tags on the secret."""
    found = _find(call, params)
    call.store.tags.tag(found.arn, {t["Key"]: t["Value"] for t in params["Tags"]})
    return {}


@operation(SM, "UntagResource", Role.OPERATOR, target="SecretId")
def untag_resource(call: Call, params: Params) -> Output:
    """Remove tags from the secret."""
    found = _find(call, params)
    call.store.tags.untag(found.arn, params["TagKeys"])
    return {}


@operation(SM, "DeleteSecret", Role.ADMIN, target="SecretId")
def delete_secret(call: Call, params: Params) -> Output:
    """Schedule the deletion of a secret CreateSecret made (``RecoveryWindowInDays``, 7 to 30,
    default 30), or delete it at once (``ForceDeleteWithoutRecovery``)."""
    found = _find(call, params, deleted_ok=True)
    if found.declared is not None:
        raise AwsError(
            "InvalidRequestException",
            f"{found.aws_name} is the fleet file's secret {found.name} (its services start "
            "with it): remove it from the fleet file instead",
        )
    window, force = params.get("RecoveryWindowInDays"), bool(params.get("ForceDeleteWithoutRecovery"))
    if window is not None and force:
        raise _invalid("You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.")
    now = call.clock.now()
    if force:
        call.store.secrets.purge(found.environment, found.name)
        call.store.tags.untag(found.arn, call.store.tags.list(found.arn))
        _vault(call).refresh(found.environment)
        return {"ARN": found.arn, "Name": found.aws_name, "DeletionDate": now}
    days = 30 if window is None else window
    if not 7 <= days <= 30:
        raise _invalid(f"RecoveryWindowInDays must be between 7 and 30, got {days}")
    if found.deleted_at is not None:
        raise AwsError(
            "InvalidRequestException",
            "You can't perform this operation on the secret because it was already scheduled for deletion.",
        )
    due = now + timedelta(days=days)
    call.store.secrets.record(
        found.environment,
        found.name,
        DELETED,
        by=call.principal.name,
        at=now,
        detail={"delete_on": due.isoformat()},
    )
    return {"ARN": found.arn, "Name": found.aws_name, "DeletionDate": due}


@operation(SM, "RestoreSecret", Role.OPERATOR, target="SecretId")
def restore_secret(call: Call, params: Params) -> Output:
    """Cancel the secret's scheduled deletion."""
    found = _find(call, params, deleted_ok=True)
    if found.deleted_at is None:
        if not found.exists:
            raise not_found()
        return {"ARN": found.arn, "Name": found.aws_name}
    call.store.secrets.record(
        found.environment, found.name, RESTORED, by=call.principal.name, at=call.clock.now(), detail={}
    )
    return {"ARN": found.arn, "Name": found.aws_name}
