"""The fleet file as typed, frozen pydantic models: environments, services and their settings.

Field names and defaults mirror AWS where there is an AWS equivalent (ALB target group health
checks, EC2 Auto Scaling instance refresh preferences), so a runbook reader recognises them.
The whole file is :class:`fleetops.spec.fleet.Fleet`; checks that span fields or sections
(references, capacity, cycles) live in ``checks.py`` and run when a ``Fleet`` is validated, and
in the loader with file positions.
"""

from __future__ import annotations

import itertools
import re
import string
from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    Field,
    StrictBool,
    StrictFloat,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from fleetops.spec.duration_field import Duration
from fleetops.spec.durations import format_duration
from fleetops.spec.resources import Name, Spec, Version

ENV_VAR_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
REGION_PATTERN = r"^[a-z]{2}(-gov)?-[a-z]+-\d$"
LAUNCH_TEMPLATE_PATTERN = r"^lt-[0-9a-f]{8,17}$"
TARGET_GROUP_PATTERN = r"^arn:aws[a-z-]*:elasticloadbalancing:"
COMMAND_PLACEHOLDERS = ("python", "port", "version")
MAX_REFRESH_DELAY = timedelta(hours=48)
RESERVED_ENV = ("PORT", "VERSION", "FLEETOPS_INSTANCE_ID", "FLEETOPS_SERVICE")
"""Environment variables the local provider sets on every instance."""


def env_var_name(name: str) -> str:
    """The environment variable named after a secret or service: ``db-password`` -> ``DB_PASSWORD``."""
    return name.upper().replace("-", "_")


def url_env_name(service: str) -> str:
    """The variable holding a dependency's load balancer URL: ``orders`` -> ``ORDERS_URL``."""
    return f"{env_var_name(service)}_URL"


def _scalar_to_str(value: Any) -> Any:
    # YAML turns `PORT: 8080` into an int and `DEBUG: yes` into a bool; env values are text.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


EnvValue = Annotated[
    str,
    BeforeValidator(_scalar_to_str),
    WithJsonSchema({"type": ["string", "number", "boolean"], "description": "Read as text."}),
]
EnvMap = dict[Annotated[str, Field(pattern=ENV_VAR_PATTERN)], EnvValue]


class ProviderKind(StrEnum):
    """Where an environment's instances run."""

    LOCAL = "local"
    AWS = "aws"


class Approval(StrEnum):
    """Whether a deployment to an environment waits for a person's approval."""

    REQUIRED = "required"
    NONE = "none"


class Orchestrator(StrEnum):
    """What runs an environment's runbooks (deploy, rollback, promote...)."""

    LOCAL = "local"
    """The control plane's own engine."""
    AWS_STEPFUNCTIONS = "aws-stepfunctions"
    """AWS Step Functions (or another fleetops server's endpoint): the state machines
    ``fleetops sfn export`` made, through their alias ``live``, served by ``fleetops worker``."""


class StepFunctionsSettings(Spec):
    """Where an ``orchestrator: aws-stepfunctions`` environment's runbooks run. The state
    machines are the export's (``fleetops-<fleet>-<environment>-<runbook>``, alias ``live``);
    credentials come from boto3's standard chain of the control plane's process."""

    region: str | None = Field(
        default=None,
        pattern=REGION_PATTERN,
        description="AWS region; default: the environment's region (aws), else boto3's chain.",
    )
    endpoint_url: str | None = Field(
        default=None,
        pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$",
        description="Step Functions endpoint (another fleetops server); default: AWS, from boto3's chain.",
    )


def _check_orchestrator(orchestrator: Orchestrator, stepfunctions: StepFunctionsSettings | None) -> None:
    if stepfunctions is not None and orchestrator is not Orchestrator.AWS_STEPFUNCTIONS:
        raise ValueError("stepfunctions: settings need `orchestrator: aws-stepfunctions`")


class LocalSettings(Spec):
    """Settings of the local provider (processes on this machine behind HAProxy)."""

    provider: Literal["local"]
    approval: Approval = Approval.NONE
    self_approval: StrictBool = Field(
        default=False,
        description="Whether whoever started a deployment may approve it; default: another identity must.",
    )
    promote_from: Name | None = Field(
        default=None, description="Environment whose releases are promoted here."
    )
    standby_for: Name | None = Field(
        default=None,
        description="The environment this one stands by for: `fleetops drill environment-failover` "
        "brings it up from that one's verified releases and backups, on the same pinned ports.",
    )
    orchestrator: Orchestrator = Field(
        default=Orchestrator.LOCAL,
        description="What runs its runbooks: local (this control plane) or aws-stepfunctions.",
    )
    stepfunctions: StepFunctionsSettings | None = Field(
        default=None, description="Region and endpoint of aws-stepfunctions (both optional)."
    )

    @model_validator(mode="after")
    def _orchestrated(self) -> LocalSettings:
        _check_orchestrator(self.orchestrator, self.stepfunctions)
        return self


class AwsSettings(Spec):
    """Settings of the aws provider."""

    provider: Literal["aws"]
    approval: Approval = Approval.NONE
    self_approval: StrictBool = Field(
        default=False,
        description="Whether whoever started a deployment may approve it; default: another identity must.",
    )
    promote_from: Name | None = Field(
        default=None, description="Environment whose releases are promoted here."
    )
    standby_for: Name | None = Field(
        default=None,
        description="The environment this one stands by for: `fleetops drill environment-failover` "
        "brings it up from that one's verified releases and backups, on the same pinned ports.",
    )
    orchestrator: Orchestrator = Field(
        default=Orchestrator.LOCAL,
        description="What runs its runbooks: local (this control plane) or aws-stepfunctions.",
    )
    stepfunctions: StepFunctionsSettings | None = Field(
        default=None, description="Region and endpoint of aws-stepfunctions (both optional)."
    )
    region: str = Field(pattern=REGION_PATTERN, description="AWS region, e.g. eu-west-1.")
    account_id: str | None = Field(default=None, pattern=r"^\d{12}$", description="12-digit account id.")
    profile: str | None = Field(default=None, description="AWS CLI profile to use.")

    @model_validator(mode="after")
    def _orchestrated(self) -> AwsSettings:
        _check_orchestrator(self.orchestrator, self.stepfunctions)
        return self


Environment = Annotated[LocalSettings | AwsSettings, Field(discriminator="provider")]
"""An environment: ``provider: local`` or ``provider: aws`` with that provider's settings."""


class Run(Spec):
    """How the local provider starts one instance of a service."""

    command: str = Field(
        min_length=1,
        description="Command line; placeholders {python}, {port}, {version}: '{python} services/orders.py'.",
    )
    env: EnvMap = Field(default_factory=dict)
    cwd: str | None = Field(
        default=None, description="Working folder relative to the fleet file; default its folder."
    )
    port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="Fixed loopback port of the service's load balancer; default: free.",
    )

    @field_validator("command")
    @classmethod
    def _known_placeholders(cls, value: str) -> str:
        try:
            fields = [name for _, name, _, _ in string.Formatter().parse(value) if name is not None]
        except ValueError as err:
            raise ValueError(f"{err} (write {{{{ and }}}} for literal braces)") from err
        for name in fields:
            if name not in COMMAND_PLACEHOLDERS:
                known = ", ".join("{" + p + "}" for p in COMMAND_PLACEHOLDERS)
                raise ValueError(f"unknown placeholder {{{name}}} (known: {known})")
        return value


class AwsService(Spec):
    """Where a service lives on AWS: an EC2 Auto Scaling group (``auto_scaling_group``,
    ``launch_template_id``, ``target_group_arn``) or an ECS service (``ecs_cluster``,
    ``ecs_service``; ``target_group_arn`` optional)."""

    auto_scaling_group: str | None = Field(default=None, min_length=1, description="Auto Scaling group name.")
    launch_template_id: str | None = Field(
        default=None, pattern=LAUNCH_TEMPLATE_PATTERN, description="Launch template id, lt-..."
    )
    target_group_arn: str | None = Field(
        default=None, pattern=TARGET_GROUP_PATTERN, description="Target group ARN."
    )
    ecs_cluster: str | None = Field(
        default=None, min_length=1, description="ECS cluster name (ECS services)."
    )
    ecs_service: str | None = Field(
        default=None, min_length=1, description="ECS service name (ECS services)."
    )
    images: dict[str, str] = Field(
        default_factory=dict,
        description="Version -> image: an AMI id (ami-...) for Auto Scaling, a container image for ECS; "
        "a version not listed keeps the image of the current launch template version or task definition.",
    )
    user_data: str | None = Field(
        default=None,
        description="User data of each release's launch template version; {version}, {service} and "
        "{environment} are filled in. None: the current version's user data is kept.",
    )
    log_group: str | None = Field(
        default=None, min_length=1, description="CloudWatch Logs group of its instances' logs."
    )

    @model_validator(mode="after")
    def _one_kind(self) -> AwsService:
        asg = (self.auto_scaling_group, self.launch_template_id, self.target_group_arn)
        ecs = (self.ecs_cluster, self.ecs_service)
        if any(ecs):
            if not all(ecs):
                raise ValueError("an ECS service needs both ecs_cluster and ecs_service")
            if self.auto_scaling_group is not None or self.launch_template_id is not None:
                raise ValueError(
                    "give either an Auto Scaling group (auto_scaling_group, launch_template_id) "
                    "or an ECS service (ecs_cluster, ecs_service), not both"
                )
            return self
        if not all(asg):
            raise ValueError(
                "expected an Auto Scaling group (auto_scaling_group, launch_template_id, target_group_arn) "
                "or an ECS service (ecs_cluster, ecs_service)"
            )
        return self

    @property
    def ecs(self) -> bool:
        """Whether the service runs on ECS (else on an Auto Scaling group)."""
        return self.ecs_service is not None


class Instances(Spec):
    """Capacity: Auto Scaling group min, desired and max."""

    min: int = Field(default=1, ge=0, le=10_000)
    desired: int = Field(default=1, ge=0, le=10_000)
    max: int = Field(default=1, ge=1, le=10_000)


_MATCHER = re.compile(r"^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$")


def check_matcher(value: Any) -> Any:
    """Validate an ALB-style matcher (``200``, ``200-299``, ``200,204``); an int becomes text."""
    value = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if isinstance(value, str):
        if not _MATCHER.match(value):
            raise ValueError(f"expected HTTP codes like 200, 200-299 or 200,204, got {value!r}")
        for part in value.split(","):
            low, _, high = part.partition("-")
            if not 200 <= int(low) <= int(high or low) <= 499:
                raise ValueError(f"expected codes within 200-499, low before high (as in ALB), got {part!r}")
    return value


def matcher_matches(matcher: str, status: int) -> bool:
    """Whether an HTTP status is one of a valid matcher's codes."""
    for part in matcher.split(","):
        low, _, high = part.partition("-")
        if int(low) <= status <= int(high or low):
            return True
    return False


class HealthCheck(Spec):
    """An ALB target group health check: the instance is healthy after ``healthy_threshold``
    consecutive passing checks and unhealthy after ``unhealthy_threshold`` failing ones."""

    path: str = Field(default="/health", pattern=r"^/", description="HTTP path probed.")
    port: int | None = Field(
        default=None, ge=1, le=65535, description="Port probed; default the traffic port."
    )
    interval: Duration = Field(default=timedelta(seconds=30))
    timeout: Duration = Field(default=timedelta(seconds=5))
    healthy_threshold: int = Field(default=5, ge=2, le=10)
    unhealthy_threshold: int = Field(default=2, ge=2, le=10)
    matcher: Annotated[str, WithJsonSchema({"type": ["string", "integer"]})] = Field(
        default="200", description="HTTP codes counted healthy: 200, 200-299, 200,204."
    )

    @field_validator("matcher", mode="before")
    @classmethod
    def _valid_matcher(cls, value: Any) -> Any:
        return check_matcher(value)

    def matches(self, status: int) -> bool:
        """Whether an HTTP status counts as a passing check."""
        return matcher_matches(self.matcher, status)


class SmokeRequest(Spec):
    """A request sent through the load balancer once a rollout succeeds; the deployment fails
    (and rolls back) when none of ``attempts`` tries answers with a status ``expect`` matches."""

    path: str = Field(default="/health", pattern=r"^/", description="HTTP path requested (GET).")
    expect: Annotated[str, WithJsonSchema({"type": ["string", "integer"]})] = Field(
        default="200", description="HTTP codes counted a pass: 200, 200-299, 200,204."
    )
    timeout: Duration = Field(default=timedelta(seconds=2), description="Timeout of each try.")
    attempts: int = Field(default=3, ge=1, le=10, description="Tries before the gate fails.")

    @field_validator("expect", mode="before")
    @classmethod
    def _valid_expect(cls, value: Any) -> Any:
        return check_matcher(value)

    def matches(self, status: int) -> bool:
        """Whether an HTTP status counts as a pass."""
        return matcher_matches(self.expect, status)


class DeployPolicy(Spec):
    """A rolling deployment with EC2 Auto Scaling instance refresh semantics."""

    strategy: Literal["rolling"] = "rolling"
    min_healthy_percent: int = Field(default=90, ge=0, le=100, description="MinHealthyPercentage.")
    max_healthy_percent: int | None = Field(
        default=None,
        ge=100,
        le=200,
        description="MaxHealthyPercentage; omitted means 100, except that when no replacement fits "
        "between the bounds an omitted value terminates first and an explicit one launches first.",
    )
    warmup: Duration = Field(
        default=timedelta(0), description="InstanceWarmup after a new instance is healthy."
    )
    checkpoints: list[Annotated[int, Field(ge=1, le=100)]] = Field(
        default_factory=list, description="CheckpointPercentages, ascending; last below 100 = partial."
    )
    checkpoint_delay: Duration = Field(
        default=timedelta(hours=1), description="CheckpointDelay (at most 48h)."
    )
    bake_time: Duration = Field(
        default=timedelta(0), description="BakeTime after the last replacement (<= 48h)."
    )
    auto_rollback: bool = Field(default=True, description="Roll back on failure (AWS's default is false).")
    skip_matching: bool = Field(default=False, description="SkipMatching: leave instances already on it.")
    alarms: list[Name] = Field(
        default_factory=list, max_length=10, description="Alarms that fail the rollout in ALARM (at most 10)."
    )
    deregistration_delay: Duration = Field(
        default=timedelta(seconds=300), description="Draining time before an old instance stops."
    )
    smoke: SmokeRequest | None = Field(
        default=None, description="A request through the load balancer after the rollout (None: none)."
    )

    @field_validator("checkpoint_delay", "bake_time")
    @classmethod
    def _at_most_two_days(cls, value: timedelta) -> timedelta:
        if value > MAX_REFRESH_DELAY:
            raise ValueError(f"expected at most 48h (as in EC2 Auto Scaling), got {format_duration(value)}")
        return value

    @property
    def effective_max_healthy_percent(self) -> int:
        """MaxHealthyPercentage in force: 100 when omitted."""
        return 100 if self.max_healthy_percent is None else self.max_healthy_percent

    @field_validator("checkpoints")
    @classmethod
    def _ascending(cls, value: list[int]) -> list[int]:
        if any(b <= a for a, b in itertools.pairwise(value)):
            raise ValueError(f"checkpoints must be unique and ascending, got {value}")
        return value


class Slo(Spec):
    """A service's objectives: reports measure its availability and error budget against them."""

    availability: StrictFloat = Field(
        gt=0, lt=100, description="Percent of requests answered without a 5XX at the load balancer (99.9)."
    )


class Scaling(Spec):
    """Target tracking on CPU (EC2 Auto Scaling): desired capacity moves within min..max."""

    target_cpu: float = Field(
        gt=0, le=100, description="Target average CPU utilization, percent of one core per instance."
    )
    scale_out_cooldown: Duration = Field(
        default=timedelta(seconds=300), description="No further scale-out this long after one."
    )
    scale_in_cooldown: Duration = Field(
        default=timedelta(seconds=300), description="No scale-in this long after any scaling."
    )
    warmup: Duration | None = Field(
        default=None, description="New instances left out of the metric this long; default the deploy warmup."
    )
    disable_scale_in: bool = False


class VersionOverride(Spec):
    """Settings that apply only when a given version runs (how the demo defines a bad release)."""

    env: EnvMap = Field(default_factory=dict)


class RunOverride(Spec):
    """Per-environment changes to how the local provider runs a service."""

    port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="Fixed loopback port of the service's load balancer in this environment; "
        "null: a free one. Two environments running on one machine need different ports.",
    )


class ServiceOverride(Spec):
    """Per-environment changes to a service; each given section's fields replace the service's."""

    run: RunOverride | None = None
    instances: Instances | None = None
    health: HealthCheck | None = None
    deploy: DeployPolicy | None = None
    env: EnvMap | None = Field(default=None, description="Merged over the service's env.")
    aws: AwsService | None = None
    slo: Slo | None = None


class Service(Spec):
    """One deployable unit of the fleet."""

    description: str = ""
    run: Run | None = Field(default=None, description="How the local provider runs it.")
    aws: AwsService | None = Field(default=None, description="Where it lives on AWS.")
    instances: Instances = Field(default_factory=Instances)
    health: HealthCheck = Field(default_factory=HealthCheck)
    deploy: DeployPolicy = Field(default_factory=DeployPolicy)
    scaling: Scaling | None = Field(default=None, description="Target tracking on CPU; none: fixed desired.")
    slo: Slo | None = Field(default=None, description="Service level objectives (fleetops report).")
    depends_on: list[Name] = Field(default_factory=list, description="Services deployed before this one.")
    secrets: list[Name] = Field(
        default_factory=list, description="Secrets given to it as environment variables."
    )
    datastores: list[Name] = Field(
        default_factory=list,
        description="Datastores it uses: where one exists, its URL is given to it as <NAME>_URL "
        "(orders-db -> ORDERS_DB_URL).",
    )
    env: EnvMap = Field(default_factory=dict)
    versions: dict[Version, VersionOverride] = Field(
        default_factory=dict, description="Per-version overrides."
    )
    overrides: dict[Name, ServiceOverride] = Field(
        default_factory=dict, description="Per-environment overrides."
    )

    def in_environment(self, environment: str) -> Service:
        """This service as it runs in ``environment``: that environment's overrides applied."""
        override = self.overrides.get(environment)
        if override is None:
            return self
        update: dict[str, Any] = {}
        for section in ("instances", "health", "deploy"):
            changed = getattr(override, section)
            if changed is not None:
                base = getattr(self, section)
                update[section] = base.model_copy(
                    update={name: getattr(changed, name) for name in changed.model_fields_set}
                )
        if override.run is not None and self.run is not None:
            update["run"] = self.run.model_copy(
                update={name: getattr(override.run, name) for name in override.run.model_fields_set}
            )
        if override.env is not None:
            update["env"] = {**self.env, **override.env}
        if override.aws is not None:
            update["aws"] = override.aws
        if override.slo is not None:
            update["slo"] = override.slo
        return self.model_copy(update=update)

    def env_for_version(self, version: str | None) -> dict[str, str]:
        """The service's env with the overrides of ``version`` applied."""
        extra = self.versions[version].env if version is not None and version in self.versions else {}
        return {**self.env, **extra}
