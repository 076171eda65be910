"""The fleet's shared resources: secrets, datastores, alarms and notification channels.

Every model is frozen and forbids unknown fields, so a typo is reported, never ignored.
"""

from __future__ import annotations

import re
from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, field_validator, model_validator

from fleetops.spec.alarm_rule import RuleError, parse_rule, referenced
from fleetops.spec.duration_field import Duration
from fleetops.spec.levels import Level
from fleetops.spec.metric_eval import check_types
from fleetops.spec.metric_math import MathError, check_id, parse_expression

NAME_PATTERN = r"^[a-z][a-z0-9-]{0,62}$"
Name = Annotated[str, Field(pattern=NAME_PATTERN)]
"""A name of a service, environment, secret, datastore, alarm or channel: ``orders-db``."""
VERSION_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.+-]{0,127}$"
Version = Annotated[str, Field(pattern=VERSION_PATTERN)]
"""A version of a service, ``v2``, ``1.4.0-rc.1``: it names files and processes, so no ``/``."""


class Spec(BaseModel):
    """Base of every fleet file model: frozen, unknown fields are errors, and numbers are finite
    (YAML's ``.nan`` and ``.inf`` are refused: an alarm threshold of NaN never fires)."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class SecretRotation(Spec):
    """How often a secret is rotated (the four-step rotation, then a gated redeploy of its users)."""

    every: Duration = Field(description="Rotation interval, e.g. 30d.")


class Secret(Spec):
    """A secret the fleet's services use; its value lives in the secret store, never in the file."""

    description: str = ""
    rotation: SecretRotation | None = Field(default=None, description="Rotation schedule; none: manual.")
    length: int = Field(default=32, ge=16, le=4096, description="Length of generated values.")
    aws_secret_id: str | None = Field(default=None, description="Secrets Manager name or ARN (aws).")


class DatastoreKind(StrEnum):
    """The datastore engines fleetops can back up and restore."""

    POSTGRES = "postgres"
    SQLITE = "sqlite"
    REDIS = "redis"
    MONGODB = "mongodb"


_SCHEMES: dict[DatastoreKind, tuple[str, ...]] = {
    DatastoreKind.POSTGRES: ("postgresql://", "postgres://"),
    DatastoreKind.SQLITE: ("sqlite:///",),
    DatastoreKind.REDIS: ("redis://", "rediss://"),
    DatastoreKind.MONGODB: ("mongodb://", "mongodb+srv://"),
}


class Backup(Spec):
    """When a datastore is backed up and how many backups, or for how long, are kept (at least
    one of ``keep`` and ``retention``; the newest verified backup is always kept)."""

    every: Duration = Field(description="Backup interval, e.g. 1d (at least 1m).")
    keep: StrictInt | None = Field(
        default=None, ge=1, le=100_000, description="How many scheduled backups to keep, e.g. 7."
    )
    retention: Duration | None = Field(
        default=None, description="How long a scheduled backup is kept, e.g. 30d."
    )
    verify: StrictBool = Field(
        default=True, description="Restore each backup into a scratch instance and probe it."
    )
    kind: Literal["logical", "base"] = Field(
        default="logical",
        description="logical: the engine's dump; base (PostgreSQL): pg_basebackup, what a point-in-time "
        "restore starts from; the archived WAL older than the oldest kept base backup is then deleted.",
    )

    @model_validator(mode="after")
    def _kept_somehow(self) -> Backup:
        if self.every < timedelta(minutes=1):
            raise ValueError("every must be at least 1m")
        if self.keep is None and self.retention is None:
            raise ValueError(
                "say how long backups are kept: keep (how many, e.g. {every: 1d, keep: 7}) "
                "or retention (how long, e.g. 30d)"
            )
        if self.retention is not None and self.retention < self.every:
            raise ValueError("retention must be at least the backup interval (every)")
        return self


class DatastoreAws(Spec):
    """Where a datastore lives on AWS (its environments with ``provider: aws``): an RDS DB
    instance or an ElastiCache cluster. Backups there are the service's native snapshots."""

    rds_instance: str | None = Field(
        default=None,
        max_length=63,
        pattern=r"^[a-zA-Z]([a-zA-Z0-9]|-[a-zA-Z0-9]){0,62}$",
        description="RDS DB instance identifier (backups: DB snapshots; restores: a new instance "
        "from the snapshot or a point in time, then renamed in place of this one).",
    )
    elasticache_cluster: str | None = Field(
        default=None,
        min_length=1,
        max_length=50,
        description="ElastiCache cache cluster id (backups: ElastiCache snapshots).",
    )

    @model_validator(mode="after")
    def _one_kind(self) -> DatastoreAws:
        if (self.rds_instance is None) == (self.elasticache_cluster is None):
            raise ValueError("give exactly one of rds_instance and elasticache_cluster")
        return self


class Drills(Spec):
    """What the disaster-recovery drills (``fleetops drill``) are measured against, and how they
    measure. With this block the control plane stamps each local PostgreSQL and SQLite datastore
    every ``heartbeat`` (the stamp that survives a restore gives the data lost)."""

    rto: Duration = Field(description="Recovery time objective: outage start to service healthy, e.g. 15m.")
    rpo: Duration = Field(
        description="Recovery point objective: outage start minus the newest heartbeat stamp that "
        "survived the restore, e.g. 1h."
    )
    heartbeat: Duration = Field(
        default=timedelta(seconds=1), description="How often datastores are stamped (100ms to 1m)."
    )
    data_path: str | None = Field(
        default=None,
        pattern=r"^/[^\s]*$",
        max_length=200,
        description="datastore-loss: what its steady client requests on each service using the "
        "datastore, a path that reads it, e.g. /orders (default: the health check path).",
    )

    @model_validator(mode="after")
    def _positive(self) -> Drills:
        if self.rto <= timedelta(0) or self.rpo <= timedelta(0):
            raise ValueError("rto and rpo must be more than 0")
        if not timedelta(milliseconds=100) <= self.heartbeat <= timedelta(minutes=1):
            raise ValueError("heartbeat must be from 100ms to 1m")
        return self


class Datastore(Spec):
    """A database or cache the fleet's services use."""

    kind: DatastoreKind
    connection: str = Field(
        description="Connection URL: postgresql://, sqlite:///path (relative to the fleet file), "
        "redis://, mongodb://. Put passwords in a secret, not here.",
    )
    password_secret: Name | None = Field(default=None, description="Secret holding the password.")
    environments: list[Name] | None = Field(
        default=None, description="Environments where this datastore exists; default: all."
    )
    backup: Backup | None = None
    aws: DatastoreAws | None = Field(
        default=None, description="The AWS resource it is in aws environments (backups, restores)."
    )

    @model_validator(mode="after")
    def _scheme_matches_kind(self) -> Datastore:
        schemes = _SCHEMES[self.kind]
        if not self.connection.startswith(schemes):
            raise ValueError(
                f"connection for a {self.kind.value} datastore must start with {' or '.join(schemes)}"
            )
        if re.match(r"^[a-z+]+://[^/@]*:[^/@]+@", self.connection):
            raise ValueError("connection must not contain a password: use password_secret")
        if self.backup is not None and self.backup.kind == "base" and self.kind != DatastoreKind.POSTGRES:
            raise ValueError(
                f"backup kind base (pg_basebackup) is for a postgres datastore, not {self.kind.value}"
            )
        if self.aws is not None:
            if self.aws.rds_instance is not None and self.kind != DatastoreKind.POSTGRES:
                raise ValueError(f"aws.rds_instance is for a postgres datastore, not {self.kind.value}")
            if self.aws.elasticache_cluster is not None and self.kind != DatastoreKind.REDIS:
                raise ValueError(f"aws.elasticache_cluster is for a redis datastore, not {self.kind.value}")
        return self


class Statistic(StrEnum):
    """CloudWatch statistics; percentiles are written ``p99``, ``p99.9``."""

    SUM = "Sum"
    AVERAGE = "Average"
    MINIMUM = "Minimum"
    MAXIMUM = "Maximum"
    SAMPLE_COUNT = "SampleCount"


class Comparison(StrEnum):
    """CloudWatch alarm comparison operators."""

    GT = "GreaterThanThreshold"
    GE = "GreaterThanOrEqualToThreshold"
    LT = "LessThanThreshold"
    LE = "LessThanOrEqualToThreshold"


class MissingData(StrEnum):
    """CloudWatch ``TreatMissingData``."""

    MISSING = "missing"
    NOT_BREACHING = "notBreaching"
    BREACHING = "breaching"
    IGNORE = "ignore"


PERCENTILE = re.compile(r"^p(\d{1,2}(\.\d{1,3})?|100)$")


class AlarmRunbook(StrEnum):
    """A runbook an alarm starts when it goes into ALARM."""

    ROLLBACK = "rollback"
    """Roll the alarm's service back to its last verified release."""
    SCALE_OUT = "scale-out"
    """Add one instance to the alarm's service (up to its ``instances.max``)."""


class AlarmActionsSpec(Spec):
    """What an alarm does when it goes into ALARM (and, for ``notify``, back to OK)."""

    notify: list[Name] | None = Field(
        default=None,
        description="Channels told of its changes; none given: every channel subscribed to alarm events.",
    )
    runbook: AlarmRunbook | None = Field(
        default=None, description="rollback or scale-out of the alarm's service, started on ALARM."
    )
    scaling_policies: list[Annotated[str, Field(min_length=1, max_length=255)]] = Field(
        default_factory=list,
        description="Simple scaling policies of the alarm's service's Auto Scaling group (put with "
        "`aws autoscaling put-scaling-policy`), run on ALARM with their cooldown; its AlarmActions "
        "on the AWS endpoint are their ARNs.",
    )


def _known_statistic(value: str) -> str:
    if value in {s.value for s in Statistic} or PERCENTILE.match(value):
        return value
    choices = ", ".join(s.value for s in Statistic)
    raise ValueError(f"expected one of {choices} or a percentile like p99, got {value!r}")


def _check_dimensions(dimensions: dict[str, str]) -> None:
    if len(dimensions) > 30:
        raise ValueError(f"{len(dimensions)} dimensions: the most is 30")
    for key, value in dimensions.items():
        if not key or "=" in key or "," in key or "," in value or not value:
            raise ValueError(f"dimension {key}={value}: names and values are non-empty, without ','")


class MetricStat(Spec):
    """One metric of a metric math alarm (CloudWatch's MetricStat); its period is the alarm's."""

    namespace: str | None = Field(
        default=None,
        min_length=1,
        max_length=255,
        description="A namespace of the metrics store; none: the load balancer's metrics.",
    )
    metric: str = Field(min_length=1, max_length=255, description="Metric name.")
    dimensions: dict[str, str] = Field(
        default_factory=dict,
        description="As an alarm's dimensions: none on a group namespace means the service's group.",
    )
    stat: str = Field(default="Average", description="Sum, Average, Minimum, Maximum, SampleCount or pNN.")

    @field_validator("stat")
    @classmethod
    def _known_stat(cls, value: str) -> str:
        return _known_statistic(value)

    @model_validator(mode="after")
    def _dimensions(self) -> MetricStat:
        if self.dimensions and self.namespace is None:
            raise ValueError("dimensions are for metrics of the store: give the namespace too")
        _check_dimensions(self.dimensions)
        return self


class MetricQuery(Spec):
    """One entry of an alarm's ``metrics`` (CloudWatch's MetricDataQuery): a metric or an
    expression over the others' ids, e.g. ``errors / invocations * 100``."""

    id: str = Field(description="Starts with a lowercase letter; letters, digits and '_'.")
    metric_stat: MetricStat | None = None
    expression: str | None = Field(default=None, max_length=2048, description="Metric math.")
    label: str = ""
    return_data: StrictBool = Field(
        default=True, description="The alarm's series: exactly one query returns data."
    )

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        try:
            return check_id(value)
        except MathError as err:
            raise ValueError(str(err)) from err

    @model_validator(mode="after")
    def _one_kind(self) -> MetricQuery:
        if (self.metric_stat is None) == (self.expression is None):
            raise ValueError(f"query {self.id}: give one of metric_stat or expression")
        if self.expression is not None:
            try:
                parse_expression(self.expression)
            except MathError as err:
                raise ValueError(f"query {self.id}: expression: {err}") from err
        return self


def check_queries(queries: list[MetricQuery]) -> None:
    """The checks PutMetricAlarm makes of ``Metrics``: ids unique, every id an expression names
    defined, no cycle, exactly one query returning data and it a time series (ValueError)."""
    ids = [q.id for q in queries]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise ValueError(f"metrics: id {', '.join(twice)} is given more than once")
    returned = [q.id for q in queries if q.return_data]
    if len(returned) != 1:
        raise ValueError(
            f"metrics: exactly one query has return_data true (the alarm's series), not {len(returned)}"
            + (f" ({', '.join(returned)})" if returned else "")
        )
    expressions = {q.id: parse_expression(q.expression) for q in queries if q.expression is not None}
    try:
        check_types(expressions, [q.id for q in queries if q.metric_stat is not None], returned)
    except MathError as err:
        raise ValueError(f"metrics: {err}") from err


class Alarm(Spec):
    """A CloudWatch-style metric alarm (period, M of N datapoints, missing-data treatment).

    Without ``service`` the alarm is a template: a deployment evaluates it on the metrics of
    each service that lists it in ``deploy.alarms``. With ``namespace`` it reads the metrics
    store (``fleetops metrics list``) instead of the load balancer's metrics. With ``metrics``
    (instead of ``metric``) it watches a metric math expression over several metrics.
    """

    metric: str | None = Field(
        default=None, min_length=1, description="Metric name, e.g. HTTPCode_Target_5XX_Count."
    )
    metrics: list[MetricQuery] | None = Field(
        default=None,
        min_length=1,
        max_length=10,
        description="Metric math instead of metric: metric_stat and expression queries by id.",
    )
    namespace: str | None = Field(
        default=None,
        min_length=1,
        max_length=255,
        description="A namespace of the metrics store, e.g. AWS/EC2 or fleetops/Deployments; "
        "none: the load balancer's metrics.",
    )
    dimensions: dict[str, str] = Field(
        default_factory=dict,
        description="Dimensions of the stored metric; for AWS/EC2, CWAgent, fleetops/Instances and "
        "AWS/AutoScaling the service's AutoScalingGroupName when none are given.",
    )
    actions: AlarmActionsSpec = Field(default_factory=AlarmActionsSpec)
    environments: list[Name] | None = Field(
        default=None, description="Environments it is evaluated in; none given: every one."
    )
    service: Name | None = Field(
        default=None, description="Service whose metric; none: per watching service."
    )
    statistic: str = Field(
        default="Average", description="Sum, Average, Minimum, Maximum, SampleCount or pNN."
    )
    period: Duration = Field(default=timedelta(minutes=1), description="Length of one datapoint.")
    evaluation_periods: int = Field(default=1, ge=1, le=100, description="N: datapoints considered.")
    datapoints_to_alarm: int | None = Field(default=None, ge=1, description="M of N; default N.")
    threshold: float
    comparison: Comparison = Comparison.GT
    treat_missing_data: MissingData = MissingData.MISSING
    description: str = ""

    @field_validator("statistic")
    @classmethod
    def _known_statistic(cls, value: str) -> str:
        return _known_statistic(value)

    @field_validator("period")
    @classmethod
    def _positive_period(cls, value: timedelta) -> timedelta:
        if value < timedelta(seconds=1):
            raise ValueError("period must be at least 1s")
        return value

    @model_validator(mode="after")
    def _m_of_n(self) -> Alarm:
        if self.datapoints_to_alarm is not None and self.datapoints_to_alarm > self.evaluation_periods:
            raise ValueError(
                f"datapoints_to_alarm ({self.datapoints_to_alarm}) must not exceed "
                f"evaluation_periods ({self.evaluation_periods})"
            )
        return self

    @model_validator(mode="after")
    def _dimensions_need_namespace(self) -> Alarm:
        if self.dimensions and self.namespace is None:
            raise ValueError("dimensions are for metrics of the store: give the namespace too")
        _check_dimensions(self.dimensions)
        return self

    @model_validator(mode="after")
    def _metric_or_metrics(self) -> Alarm:
        if self.metrics is None:
            if self.metric is None:
                raise ValueError("give metric (one metric) or metrics (metric math)")
            return self
        given = sorted({"metric", "namespace", "dimensions", "statistic"} & self.model_fields_set)
        if given:
            raise ValueError(f"metrics (metric math) replaces {', '.join(given)}: give each in a metric_stat")
        check_queries(self.metrics)
        return self

    @property
    def returned(self) -> MetricQuery | None:
        """The query of ``metrics`` whose series the alarm watches (None: not metric math)."""
        return next((q for q in self.metrics or [] if q.return_data), None)

    @property
    def reads_store_only(self) -> bool:
        """Whether every metric it reads is in the metrics store (none of the load balancer's)."""
        if self.metrics is None:
            return self.namespace is not None
        return all(q.metric_stat.namespace is not None for q in self.metrics if q.metric_stat is not None)

    @property
    def watched(self) -> str:
        """What it watches, for people: ``Sum of TaskHandlerErrors`` or ``rate = a / b * 100``."""
        returned = self.returned
        if returned is None:
            return f"{self.statistic} of {self.metric}"
        if returned.expression is not None:
            return f"{returned.id} = {returned.expression}"
        assert returned.metric_stat is not None
        return f"{returned.metric_stat.stat} of {returned.metric_stat.metric}"

    @property
    def m_of_n(self) -> tuple[int, int]:
        """(datapoints to alarm, evaluation periods)."""
        return (self.datapoints_to_alarm or self.evaluation_periods, self.evaluation_periods)


class CompositeAlarm(Spec):
    """A CloudWatch composite alarm: ALARM while its rule is TRUE, OK otherwise.

    ``actions_suppressor`` (an alarm or composite alarm) suppresses its actions while in ALARM;
    ``wait_period``: how long after going into ALARM the composite waits for the suppressor to go
    into ALARM before acting; ``extension_period``: how long actions stay suppressed after the
    suppressor leaves ALARM.
    """

    rule: str = Field(
        min_length=1,
        max_length=10_240,
        description='AlarmRule, e.g. ALARM(high-5xx) AND NOT ALARM("maintenance").',
    )
    actions_suppressor: Name | None = None
    wait_period: Duration = Field(default=timedelta(minutes=1), description="ActionsSuppressorWaitPeriod.")
    extension_period: Duration = Field(
        default=timedelta(minutes=1), description="ActionsSuppressorExtensionPeriod."
    )
    description: str = ""
    actions: AlarmActionsSpec = Field(default_factory=AlarmActionsSpec)
    environments: list[Name] | None = Field(
        default=None, description="Environments it is evaluated in; none given: every one."
    )

    @field_validator("rule")
    @classmethod
    def _parses(cls, value: str) -> str:
        try:
            parse_rule(value)
        except RuleError as err:
            raise ValueError(f"rule: {err}") from err
        return value

    @field_validator("actions")
    @classmethod
    def _no_scaling(cls, value: AlarmActionsSpec) -> AlarmActionsSpec:
        if value.scaling_policies:  # as on AWS
            raise ValueError("a composite alarm cannot run scaling policies (actions.scaling_policies)")
        return value

    @property
    def references(self) -> list[str]:
        """The alarms its rule names."""
        return referenced(parse_rule(self.rule))


EVENT_PREFIXES = (
    "announcement",
    "deploy",
    "rollback",
    "promote",
    "alarm",
    "secret",
    "backup",
    "restore",
    "drill",
    "maintenance",
    "approval",
    "incident",
)
EVENTS = frozenset(
    {
        "announcement.posted",
        "deploy.started",
        "deploy.succeeded",
        "deploy.failed",
        "deploy.rolled_back",
        "rollback.started",
        "rollback.succeeded",
        "rollback.failed",
        "promote.succeeded",
        "promote.failed",
        "alarm.alarm",
        "alarm.ok",
        "secret.rotated",
        "secret.rotation_failed",
        "backup.completed",
        "backup.failed",
        "backup.verify_failed",
        "restore.started",
        "restore.succeeded",
        "restore.failed",
        "drill.started",
        "drill.completed",
        "drill.failed",
        "drill.target_missed",
        "maintenance.started",
        "maintenance.ended",
        "approval.requested",
        "incident.opened",
        "incident.updated",
        "incident.resolved",
    }
)


def _check_event(value: str) -> str:
    if value == "*" or value in EVENTS:
        return value
    if value.endswith(".*") and value[:-2] in EVENT_PREFIXES:
        return value
    raise ValueError(
        f"unknown event {value!r} (expected '*', one of {', '.join(p + '.*' for p in EVENT_PREFIXES)}, "
        f"or one of {', '.join(sorted(EVENTS))})"
    )


Event = Annotated[str, Field(description="An event name like deploy.failed, a prefix like deploy.*, or *.")]


class _Channel(Spec):
    events: list[Event] = Field(default_factory=lambda: ["*"], description="Events sent to this channel.")
    levels: list[Level] = Field(
        default_factory=lambda: list(Level),
        min_length=1,
        description="Levels sent to this channel (routing by severity: a pager takes [critical]).",
    )

    @field_validator("events")
    @classmethod
    def _known_events(cls, value: list[str]) -> list[str]:
        for event in value:
            _check_event(event)
        return value


class WebhookChannel(_Channel):
    """A Slack-compatible incoming webhook (JSON ``{"text": ...}`` posted to ``url``)."""

    type: Literal["webhook"]
    url: str = Field(pattern=r"^https?://", description="Webhook URL (http or https).")


class Smtp(Spec):
    """The SMTP server an email channel sends through."""

    host: str = Field(min_length=1)
    port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = True
    username: str | None = None
    password_secret: Name | None = Field(default=None, description="Secret holding the SMTP password.")


class EmailChannel(_Channel):
    """Email through SMTP."""

    type: Literal["email"]
    smtp: Smtp
    sender: str = Field(alias="from", pattern=r"^[^@\s]+@[^@\s]+$", description="From address.")
    to: list[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")]] = Field(min_length=1)

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, serialize_by_alias=True)


PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"


class PagerDutyChannel(_Channel):
    """PagerDuty's Events API v2: each message triggers (or, for ``alarm.ok``, resolves) an alert."""

    type: Literal["pagerduty"]
    routing_key_secret: Name = Field(description="Secret holding the integration's routing key.")
    url: str = Field(
        default=PAGERDUTY_EVENTS_URL, pattern=r"^https?://", description="Events API v2 endpoint."
    )


Channel = Annotated[WebhookChannel | EmailChannel | PagerDutyChannel, Field(discriminator="type")]
"""A notification channel: ``type: webhook``, ``email`` or ``pagerduty``."""


def referenced_secrets(item: Any) -> list[tuple[tuple[str, ...], str]]:
    """(field path inside ``item``, secret name) for every secret a resource refers to."""
    found: list[tuple[tuple[str, ...], str]] = []
    if isinstance(item, Datastore) and item.password_secret:
        found.append((("password_secret",), item.password_secret))
    if isinstance(item, EmailChannel) and item.smtp.password_secret:
        found.append((("smtp", "password_secret"), item.smtp.password_secret))
    if isinstance(item, PagerDutyChannel):
        found.append((("routing_key_secret",), item.routing_key_secret))
    return found


HealthCheckName = Literal[
    "services",
    "datastores",
    "alarms",
    "lock",
    "executions",
    "maintenance",
    "traffic",
    "secrets",
    "backups",
    "incidents",
    "required-secrets",
    "version",
]
"""The checks ``fleetops health`` runs on the control plane (``fleetops.ops.health``), by name."""
