"""boto3 clients of one aws environment, and AWS errors as fleetops errors.

Credentials, region and endpoints come from boto3's standard chain only (the environment's
``profile`` and ``region`` from the fleet file, then ``AWS_PROFILE``, ``AWS_ACCESS_KEY_ID``…,
``AWS_ENDPOINT_URL`` and ``AWS_ENDPOINT_URL_<SERVICE>``), so one environment works against AWS,
moto or any AWS-compatible endpoint unchanged. Throttling and transient errors are retried by
botocore's ``standard`` retry mode. boto3 is imported by the first :class:`AwsClients` made: a
process with no aws environment never pays for it (0.07 s of CPU).

:func:`aws_call` runs one call and turns its failure into an error that names the action, the
resource and AWS's error code and message: a missing IAM permission is ``Refused`` (exit 3).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from fleetops.errors import FleetopsError, Refused

if TYPE_CHECKING:
    from botocore.exceptions import ClientError

T = TypeVar("T")

DENIED = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnauthorizedAccess",
        "AuthorizationError",
        "NotAuthorized",
    }
)
"""AWS error codes of a missing IAM permission."""


class AwsError(FleetopsError):
    """An AWS call failed (exit 1): the action, the resource, AWS's code and message."""

    def __init__(self, action: str, resource: str, code: str, message: str) -> None:
        super().__init__(f"{action} on {resource} failed: {code}: {message}")
        self.action = action
        self.resource = resource
        self.code = code
        self.aws_message = message


class MissingPermission(Refused):
    """AWS refused a call for want of an IAM permission (exit 3)."""

    def __init__(self, action: str, resource: str, code: str, message: str) -> None:
        super().__init__(
            f"missing IAM permission: {action} on {resource} was refused ({code}: {message}); "
            f"allow the action {action} on that resource to the credentials in use"
        )
        self.action = action
        self.resource = resource
        self.code = code


def error_code(err: ClientError) -> str:
    """AWS's error code of a failed call."""
    return str(err.response.get("Error", {}).get("Code", "Unknown"))


def aws_call(action: str, resource: str, call: Callable[..., T], /, **params: Any) -> T:
    """``call(**params)``, its failure raised as :class:`MissingPermission` or :class:`AwsError`."""
    # ``call`` is a boto3 client's method: botocore is loaded already.
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    try:
        return call(**params)
    except ClientError as err:
        code = error_code(err)
        message = str(err.response.get("Error", {}).get("Message", ""))
        if code in DENIED:
            raise MissingPermission(action, resource, code, message) from err
        raise AwsError(action, resource, code, message) from err
    except NoCredentialsError as err:
        raise Refused(
            f"{action} on {resource}: no AWS credentials found (set AWS_PROFILE, the environment's "
            "`profile`, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)"
        ) from err
    except BotoCoreError as err:
        raise AwsError(action, resource, type(err).__name__, str(err)) from err


_loaders: dict[tuple[str, ...], Any] = {}
"""botocore's data loader of each search path list, shared by every session of this process."""
_loaders_lock = threading.Lock()


def _share_data_loader(session: Any) -> None:
    """Make ``session`` (botocore's) load its data files (service models, endpoints, partitions)
    through the loader of the first session made with the same search paths, which keeps what
    it parsed: each new session parsed them again, ~0.1-0.3 s of CPU a service (EC2's model is
    megabytes of JSON), paid by every ``AwsClients`` made (a request to an aws environment's
    secrets made one, a control plane one per environment)."""
    loader = session.get_component("data_loader")
    with _loaders_lock:
        shared = _loaders.setdefault(tuple(loader.search_paths), loader)
    if shared is not loader:
        session.register_component("data_loader", shared)


class AwsClients:
    """The boto3 clients of one environment (one session; clients made once, thread-safe)."""

    def __init__(self, region: str, profile: str | None = None) -> None:
        self.region = region
        self.profile = profile
        import boto3
        import botocore.session
        from botocore.config import Config

        core = botocore.session.get_session()
        self._session = boto3.session.Session(botocore_session=core, profile_name=profile, region_name=region)
        # After boto3's session is made: it adds its own data folder to the loader's search paths.
        _share_data_loader(core)
        self._config = Config(retries={"mode": "standard", "max_attempts": 5})
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()  # a boto3 session is not thread-safe; its clients are

    def client(self, service: str) -> Any:
        """The boto3 client of ``service`` (``autoscaling``, ``ec2``, ``elbv2``, ``ecs``…)."""
        with self._lock:
            found = self._clients.get(service)
            if found is None:
                found = self._session.client(service, config=self._config)
                self._clients[service] = found
            return found

    @property
    def autoscaling(self) -> Any:
        """EC2 Auto Scaling."""
        return self.client("autoscaling")

    @property
    def ec2(self) -> Any:
        """EC2 (launch templates, instances)."""
        return self.client("ec2")

    @property
    def elbv2(self) -> Any:
        """Elastic Load Balancing v2 (target groups, target health)."""
        return self.client("elbv2")

    @property
    def ecs(self) -> Any:
        """ECS."""
        return self.client("ecs")

    @property
    def application_autoscaling(self) -> Any:
        """Application Auto Scaling (scalable targets and policies of ECS services)."""
        return self.client("application-autoscaling")

    @property
    def rds(self) -> Any:
        """RDS (DB snapshots, restores)."""
        return self.client("rds")

    @property
    def elasticache(self) -> Any:
        """ElastiCache (cache snapshots, restores)."""
        return self.client("elasticache")

    @property
    def cloudwatch(self) -> Any:
        """CloudWatch (metric alarms)."""
        return self.client("cloudwatch")

    @property
    def logs(self) -> Any:
        """CloudWatch Logs."""
        return self.client("logs")

    @property
    def sts(self) -> Any:
        """STS (the caller's identity)."""
        return self.client("sts")
