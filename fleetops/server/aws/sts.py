"""STS: ``GetCallerIdentity`` answers who the token is (``aws sts get-caller-identity``)."""

from __future__ import annotations

from fleetops.server.aws.operations import Call, Output, Params, operation
from fleetops.server.aws.resources import ACCOUNT


@operation("sts", "GetCallerIdentity")
def get_caller_identity(call: Call, _params: Params) -> Output:
    """The token as an IAM user of the local account: ``arn:aws:iam::<account>:user/<token name>``."""
    return {
        "UserId": f"fleetops:{call.principal.name}",
        "Account": ACCOUNT,
        "Arn": f"arn:aws:iam::{ACCOUNT}:user/{call.principal.name}",
    }
