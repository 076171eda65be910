"""The Step Functions JSON protocol (``POST /``, ``X-Amz-Target: AWSStepFunctions.<Action>``).

``boto3.client("stepfunctions", endpoint_url=URL, region_name="us-east-1",
aws_access_key_id=<a fleetops API token>, aws_secret_access_key="unused")`` works against it
unchanged: the access key id of the SigV4 ``Authorization`` header is the token (a bearer token
header is accepted too). Errors are AWS-shaped (``{"__type": "ExecutionDoesNotExist", ...}``).
"""

from fleetops.server.sfn import map_run_actions, version_actions
from fleetops.server.sfn.actions import ACTIONS
from fleetops.server.sfn.protocol import call

__all__ = ["ACTIONS", "call", "map_run_actions", "version_actions"]
