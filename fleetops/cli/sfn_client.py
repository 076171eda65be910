"""The Step Functions client the ``fleetops sfn`` commands use: boto3, pointed at the server.

It finds the server and token as every other command does (``$FLEETOPS_URL``/``$FLEETOPS_TOKEN``,
else ``.fleetops/server.json`` and ``.fleetops/token``) and signs in with the token as the access
key id. AWS errors become fleetops errors (and exit codes): access denied or an unknown token ->
``NotAuthorised`` (4), a conflict -> ``Refused`` (3), other client errors -> ``BadInput`` (2),
server errors -> ``FleetopsError`` (1).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fleetops.cli.client import TOKEN_ENV, locate_server
from fleetops.errors import BadInput, FleetopsError, NotAuthorised, Refused
from fleetops.server.settings import DEFAULT_STATE_DIR

NOT_AUTHORISED_CODES = frozenset({"AccessDeniedException", "UnrecognizedClientException"})
REFUSED_CODES = frozenset({"ConflictException"})
# The region and account of ARNs the control plane makes (fleetops answers as one account).
REGION = "us-east-1"
ACCOUNT = "123456789012"


def arn_of(kind: str, name_or_arn: str) -> str:
    """``name_or_arn`` as an ARN: a bare name becomes ``arn:aws:states:...:<kind>:<name>``."""
    if name_or_arn.startswith("arn:"):
        return name_or_arn
    return f"arn:aws:states:{REGION}:{ACCOUNT}:{kind}:{name_or_arn}"


@contextmanager
def sfn_session(state_dir: Path = DEFAULT_STATE_DIR) -> Iterator[Any]:
    """A boto3 ``stepfunctions`` client for the server; its errors raised as fleetops errors."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    address = locate_server(state_dir)
    if address.token is None:
        raise NotAuthorised(f"no API token: set {TOKEN_ENV}, or run where {state_dir / 'token'} exists")
    client = boto3.client(
        "stepfunctions",
        endpoint_url=address.url,
        region_name=REGION,
        aws_access_key_id=address.token,
        # The token is the credential; the signature made with this secret is not checked.
        aws_secret_access_key="unused",
        config=Config(read_timeout=65, retries={"max_attempts": 1}),
    )
    try:
        yield client
    except ClientError as err:
        error = err.response.get("Error", {})
        code, message = error.get("Code", "Error"), error.get("Message", str(err))
        status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400)
        if code in NOT_AUTHORISED_CODES:
            raise NotAuthorised(f"{code}: {message}") from err
        if code in REFUSED_CODES:
            raise Refused(f"{code}: {message}") from err
        if status >= 500:
            raise FleetopsError(f"the server failed: {code}: {message}") from err
        raise BadInput(f"{code}: {message}") from err
    except BotoCoreError as err:
        raise FleetopsError(f"cannot reach the fleetops server at {address.url}: {err}") from err


def answer(response: dict[str, Any]) -> dict[str, Any]:
    """A boto3 response without its ``ResponseMetadata``."""
    return {key: value for key, value in response.items() if key != "ResponseMetadata"}
