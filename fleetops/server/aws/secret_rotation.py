"""Secrets Manager's RotateSecret over the local fleet: fleetops' own rotation runbook
(``fleetops secrets rotate``: a new value in AWSPENDING, set, tested and made AWSCURRENT, a gated
redeploy of the secret's users, proof they picked it up, the previous value revoked) stands in
for the rotation Lambda.

Only the fleet file's secrets have that runbook; a secret made by CreateSecret is refused as AWS
refuses a secret without a rotation function (``InvalidRequestException``), and so is a
``RotationLambdaARN``. ``RotationRules`` (``AutomaticallyAfterDays``, or a
``ScheduleExpression`` ``rate(N days)``/``rate(N hours)``) replace the fleet file's ``rotation``
for the control plane's schedule (``ops.secrets.rotation_rules``) and are shown by
DescribeSecret. The answer's ``VersionId`` is the version the rotation makes: its
``ClientRequestToken``, as on AWS (the AWS CLI and boto3 always send one).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from fleetops.control.deployments import Deployments
from fleetops.ops.secrets.rotation_rules import ROTATION_RULES
from fleetops.runbooks.handlers.rotation import version_id_of
from fleetops.server.aws.errors import AwsError
from fleetops.server.aws.operations import Call, Output, Params, operation
from fleetops.server.aws.secret_names import find
from fleetops.server.roles import Role

SM = "secretsmanager"
_RATE = re.compile(r"^rate\((\d+) (hours?|days?)\)$")


def _invalid(message: str) -> AwsError:
    return AwsError("InvalidParameterException", message)


def _every(rules: dict[str, Any]) -> timedelta:
    """The interval ``RotationRules`` give (InvalidParameterException when they give none)."""
    if rules.get("Duration") is not None:
        raise _invalid("RotationRules.Duration has no local meaning: a rotation runs when it is due")
    days, expression = rules.get("AutomaticallyAfterDays"), rules.get("ScheduleExpression")
    if (days is None) == (expression is None):
        raise _invalid("RotationRules need one of AutomaticallyAfterDays or ScheduleExpression")
    if days is not None:
        if not 1 <= days <= 1000:
            raise _invalid(f"RotationRules.AutomaticallyAfterDays {days} must be between 1 and 1000")
        return timedelta(days=days)
    found = _RATE.match(str(expression))
    if found is None:
        raise _invalid(
            f"RotationRules.ScheduleExpression {expression!r}: fleetops takes rate(N days) or rate(N hours), "
            "not cron()"
        )
    count = int(found.group(1))
    every = timedelta(days=count) if found.group(2).startswith("day") else timedelta(hours=count)
    if not timedelta(hours=4) <= every <= timedelta(days=1000):
        raise _invalid(f"RotationRules.ScheduleExpression {expression!r} must be 4 hours to 1000 days")
    return every


@operation(SM, "RotateSecret", Role.OPERATOR, target="SecretId")
def rotate_secret(call: Call, params: Params) -> Output:
    """Start the secret's rotation runbook (unless ``RotateImmediately`` is false) and set its
    ``RotationRules`` when given."""
    now = call.clock.now()
    found = find(call, params["SecretId"], now)
    if params.get("RotationLambdaARN") is not None:
        raise _invalid(
            "RotationLambdaARN has no local meaning: fleetops rotates a secret with its rotate-secret "
            "runbook (leave it out)"
        )
    if found.declared is None:
        raise AwsError(
            "InvalidRequestException",
            f"{found.aws_name} has no rotation here: fleetops rotates the fleet file's secrets "
            f"(secrets.<name>) with its rotate-secret runbook, and {found.aws_name} was made by "
            "create-secret; put its next value with put-secret-value",
        )
    rules = params.get("RotationRules")
    every = _every(rules) if rules is not None else None
    token = params.get("ClientRequestToken")
    if token is not None and not 32 <= len(token) <= 64:
        raise _invalid(f"ClientRequestToken must be 32 to 64 characters, got {len(token)}")
    out: dict[str, Any] = {"ARN": found.arn, "Name": found.aws_name}
    if params.get("RotateImmediately", True):
        deployments: Deployments = call.state.deployments
        started = call.on_loop(
            lambda: deployments.rotate(
                environment=found.environment, secret=found.name, requested_by=call.principal.name,
                version_id=token,
            )
        )  # fmt: skip
        out["VersionId"] = token or version_id_of(started.arn, found.name)
    if every is not None:
        call.store.secrets.record(
            found.environment, found.name, ROTATION_RULES, by=call.principal.name, at=now,
            detail={"every_s": every.total_seconds()},
        )  # fmt: skip
    return out
