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
    with aws_errors(f"the fleetops server at {address.url}"):
        yield client


@contextmanager
def aws_errors(where: str) -> Iterator[None]:
    """Raise boto3's errors as fleetops errors (and exit codes); ``where`` names the endpoint."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
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
        raise FleetopsError(f"cannot reach {where}: {err}") from err


def target_client(endpoint_url: str | None, region: str | None, *, pollers: int = 10) -> Any:
    """A boto3 ``stepfunctions`` client for the Step Functions that runs exported runbooks: AWS
    (credentials, region and endpoint from boto3's standard chain) or ``endpoint_url`` (another
    fleetops server: its API token as ``AWS_ACCESS_KEY_ID``). ``pollers``: how many calls may
    wait at once (each GetActivityTask holds a connection up to a minute)."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "stepfunctions",
        endpoint_url=endpoint_url,
        region_name=region or None,
        config=Config(read_timeout=70, retries={"max_attempts": 3}, max_pool_connections=pollers + 4),
    )


def answer(response: dict[str, Any]) -> dict[str, Any]:
    """A boto3 response without its ``ResponseMetadata``."""
    return {key: value for key, value in response.items() if key != "ResponseMetadata"}
