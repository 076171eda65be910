"""The store's tables, as SQLAlchemy Core ``Table`` objects on one shared ``metadata``.

Every table here is created by a migration in ``fleetops/store/migrations/versions/``; a test
compares this module with the migrated schema, so the two cannot drift. To add a table: declare
it here on ``metadata`` (or as an ORM class on ``Base``), write the migration that creates it,
and add a repository module next to ``audit.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase

# Constraint names are fixed so migrations can refer to them on both SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

# An integer primary key that is BIGINT on PostgreSQL and INTEGER (the rowid alias, so it
# autoincrements) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back as an aware ``datetime`` in UTC.

    SQLite has no time zones; PostgreSQL's ``timestamptz`` does. This type gives the code one
    behaviour on both: naive datetimes are refused on write rather than guessed at.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} given to the store: pass an aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Base for ORM-mapped classes; shares ``metadata`` with the Core tables below."""

    metadata = metadata
    type_annotation_map: dict[Any, Any] = {datetime: UTCDateTime()}


audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime(), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(200), nullable=False),
    Column("target", String(500), nullable=True),
    Column("arguments", JSON(), nullable=False),
    Column("outcome", String(20), nullable=False),
    Column("error", Text(), nullable=True),
    Index(None, "at"),
    Index(None, "action", "at"),
    Index(None, "actor", "at"),
)
"""Who did what, to what, when, with which (redacted) arguments, and how it ended."""

tokens = Table(
    "tokens",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    # sha256 of the token: a stolen database does not give working tokens.
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("created_by", String(200), nullable=False),
    # When it last authenticated a request (written at most once a minute: not a write per call).
    Column("last_used_at", UTCDateTime(), nullable=True),
    # None: never expires (``fleetops audit security`` reports it).
    Column("expires_at", UTCDateTime(), nullable=True),
    # After ``fleetops token rotate``: the old secret's digest, accepted until its grace ends.
    Column("previous_sha256", String(64), nullable=True),
    Column("previous_expires_at", UTCDateTime(), nullable=True),
    Column("rotated_at", UTCDateTime(), nullable=True),
    Index(None, "previous_sha256"),
)
"""Bearer tokens of the control-plane API, stored hashed."""

state_machines = Table(
    "state_machines",
    metadata,
    Column("arn", String(500), primary_key=True),
    Column("name", String(80), nullable=False, unique=True),
    Column("definition", Text(), nullable=False),
    Column("type", String(20), nullable=False),
    Column("role_arn", String(500), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("revision", Integer(), nullable=False),
)
"""Step Functions state machines: the ASL definition and its revision (bumped by every update)."""

executions = Table(
    "executions",
    metadata,
    Column("arn", String(500), primary_key=True),
    Column("state_machine_arn", String(500), nullable=False),
    Column("name", String(80), nullable=False),
    Column("status", String(20), nullable=False),
    # The definition the execution started with: an update of the machine does not change it.
    Column("definition", Text(), nullable=False),
    Column("input", Text(), nullable=False),
    Column("output", Text(), nullable=True),
    Column("error", Text(), nullable=True),
    Column("cause", Text(), nullable=True),
    Column("start_date", UTCDateTime(), nullable=False),
    Column("stop_date", UTCDateTime(), nullable=True),
    # Which server runs the execution, until when: another may take it over once it expires.
    Column("lease_owner", String(200), nullable=True),
    Column("lease_expires", UTCDateTime(), nullable=True),
    # Claims to resume it since it last ran a while: an execution that takes its server down at
    # every resume is quarantined (FAILED) after a few, not retried after every restart.
    Column("resumes", Integer(), nullable=False, server_default="0"),
    # Who started it: the authenticated caller (a token's name), never a value of its input. A
    # runbook credits its lock and releases to it. None for executions from before it was kept.
    Column("started_by", String(200), nullable=True),
    # Started through a version or an alias (StartExecution with its ARN): DescribeExecution says so.
    Column("state_machine_version_arn", String(500), nullable=True),
    Column("state_machine_alias_arn", String(500), nullable=True),
    # RedriveExecution: how often it was redriven and when last (it keeps its ARN and history).
    Column("redrive_count", Integer(), nullable=False, server_default="0"),
    Column("redrive_date", UTCDateTime(), nullable=True),
    Index(None, "state_machine_arn", "start_date"),
    Index(None, "status", "lease_expires"),
)
"""Step Functions executions, with the lease that keeps each running in exactly one server."""

history_events = Table(
    "history_events",
    metadata,
    Column("execution_arn", String(500), primary_key=True),
    Column("id", Integer(), primary_key=True, autoincrement=False),
    Column("previous_event_id", Integer(), nullable=False),
    Column("type", String(60), nullable=False),
    Column("timestamp", UTCDateTime(), nullable=False),
    Column("details", JSON(), nullable=False),
    # The engine's own bookkeeping for resume (state visit, transition target, task token).
    Column("scope", Text(), nullable=False),
    Column("meta", JSON(), nullable=False),
)
"""Every execution's history, as GetExecutionHistory returns it; the engine resumes from it."""

state_machine_versions = Table(
    "state_machine_versions",
    metadata,
    Column("arn", String(500), primary_key=True),
    Column("state_machine_arn", String(500), nullable=False),
    Column("version", Integer(), nullable=False),
    Column("definition", Text(), nullable=False),
    Column("type", String(20), nullable=False),
    Column("role_arn", String(500), nullable=False),
    Column("description", Text(), nullable=False),
    # The machine's revision it was published from: publishing the same revision again is a no-op.
    Column("revision", Integer(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("state_machine_arn", "version"),
)
"""Published, immutable versions of state machines (PublishStateMachineVersion): ``<machine>:<n>``."""

state_machine_aliases = Table(
    "state_machine_aliases",
    metadata,
    Column("arn", String(500), primary_key=True),
    Column("state_machine_arn", String(500), nullable=False),
    Column("name", String(80), nullable=False),
    Column("description", Text(), nullable=False),
    # [{"stateMachineVersionArn": ..., "weight": 0-100}], one or two versions, weights adding to 100.
    Column("routing", JSON(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)
"""Aliases (``<machine>:<alias>``): names that route executions to one or two versions by weight."""

activities = Table(
    "activities",
    metadata,
    Column("arn", String(500), primary_key=True),
    Column("name", String(80), nullable=False, unique=True),
    Column("created_at", UTCDateTime(), nullable=False),
)
"""Step Functions activities: Task resources served to workers that poll GetActivityTask."""

task_tokens = Table(
    "task_tokens",
    metadata,
    Column("token", String(200), primary_key=True),
    Column("execution_arn", String(500), nullable=False),
)
"""Which execution a task token belongs to: lets any server accept SendTask* for any execution."""

task_callbacks = Table(
    "task_callbacks",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("token", String(200), nullable=False),
    Column("execution_arn", String(500), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("output", Text(), nullable=True),
    Column("error", Text(), nullable=True),
    Column("cause", Text(), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Index(None, "execution_arn"),
)
"""SendTaskSuccess/Failure/Heartbeat received by a server that does not run the execution, for
the server that does to apply."""

releases = Table(
    "releases",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("environment", String(100), nullable=False),
    Column("service", String(100), nullable=False),
    # 1, 2, 3… per (environment, service), in the order releases were pinned.
    Column("number", Integer(), nullable=False),
    Column("version", String(200), nullable=False),
    Column("config", JSON(), nullable=False),
    Column("secret_versions", JSON(), nullable=False),
    Column("execution_id", String(200), nullable=False),
    Column("status", String(20), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("verified_at", UTCDateTime(), nullable=True),
    Column("finished_at", UTCDateTime(), nullable=True),
    # What the release became on its provider (aws: a launch template version number or a task
    # definition ARN); None until a rollout made it, and on a local environment.
    Column("provider_target", String(400), nullable=True),
    UniqueConstraint("environment", "service", "number"),
    # A retried pin of the same execution finds its release instead of adding one.
    UniqueConstraint("environment", "service", "execution_id"),
    Index(None, "environment", "service", "status", "number"),
)
"""Immutable, numbered (service, version, config, secret versions) records of what a deployment pinned."""

locks = Table(
    "locks",
    metadata,
    Column("environment", String(100), primary_key=True),
    Column("owner", String(200), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("acquired_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("renewed_at", UTCDateTime(), nullable=False),
)
"""One deployment lock per environment, held by an owner until released or its lease expires."""

maintenance_windows = Table(
    "maintenance_windows",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    # An environment's name, or "*" for every environment.
    Column("scope", String(100), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("started_by", String(200), nullable=False),
    Column("starts_at", UTCDateTime(), nullable=False),
    Column("ends_at", UTCDateTime(), nullable=False),
    Column("ended_at", UTCDateTime(), nullable=True),
    Column("ended_by", String(200), nullable=True),
    Index(None, "scope", "ends_at"),
)
"""Time-boxed maintenance windows: deployments are refused while one is open."""

maintenance_schedules = Table(
    "maintenance_schedules",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    # An environment's name, or "*" for every environment.
    Column("scope", String(100), nullable=False),
    Column("cron", String(200), nullable=False),
    Column("duration_s", Integer(), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("cancelled_at", UTCDateTime(), nullable=True),
    # The occurrence (its start) whose window was opened, and the one whose end was announced.
    Column("last_started_at", UTCDateTime(), nullable=True),
    Column("last_ended_at", UTCDateTime(), nullable=True),
)
"""Recurring maintenance: the control plane opens a window at each time the cron names."""

service_blocks = Table(
    "service_blocks",
    metadata,
    Column("scope", String(100), primary_key=True),
    Column("service", String(100), primary_key=True),
    Column("reason", String(500), nullable=False),
    Column("blocked_by", String(200), nullable=False),
    Column("blocked_at", UTCDateTime(), nullable=False),
)
"""Services whose deployments are refused (in one environment, or "*" for all) until unblocked."""

notifications = Table(
    "notifications",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("channel", String(100), nullable=False),
    Column("event", String(100), nullable=False),
    # Identifies the event for deduplication: the same key within a window is sent once.
    Column("event_key", String(500), nullable=False),
    Column("environment", String(100), nullable=True),
    Column("execution_id", String(200), nullable=True),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer(), nullable=False),
    Column("error", Text(), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime(), nullable=True),
    Index(None, "channel", "event_key", "created_at"),
)
"""One row per (channel, event) delivery attempt sequence: sent, failed, or dropped as a duplicate."""

service_state = Table(
    "service_state",
    metadata,
    Column("environment", String(100), primary_key=True),
    Column("service", String(100), primary_key=True),
    # The version the service's instances run when steady, and the release that pinned it
    # (0: no release yet, the version `fleetops up` was given).
    Column("version", String(200), nullable=False),
    Column("release_number", Integer(), nullable=False),
    Column("desired", Integer(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)
"""What each service of an environment should run: version, release and desired instance count."""

rollouts = Table(
    "rollouts",
    metadata,
    # Chosen by the caller: the idempotency key of a start.
    Column("rollout_id", String(300), primary_key=True),
    Column("environment", String(100), nullable=False),
    Column("service", String(100), nullable=False),
    Column("version", String(200), nullable=False),
    Column("release_number", Integer(), nullable=False),
    Column("previous_version", String(200), nullable=True),
    Column("previous_release_number", Integer(), nullable=True),
    # The preferences in force (AWS Preferences JSON, seconds) and their milliseconds form.
    Column("preferences", JSON(), nullable=False),
    Column("status", String(30), nullable=False),
    Column("status_reason", Text(), nullable=False),
    Column("percentage_complete", Integer(), nullable=False),
    Column("instances_to_update", Integer(), nullable=False),
    Column("checkpoint", String(20), nullable=True),
    Column("failure", Text(), nullable=True),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("ended_at", UTCDateTime(), nullable=True),
    Column("updated_at", UTCDateTime(), nullable=False),
    # Set by a server that does not run the rollout; the one that does cancels it when it sees it.
    Column("cancel_requested_at", UTCDateTime(), nullable=True),
    Index(None, "environment", "service", "started_at"),
    Index(None, "status"),
)
"""Rollouts (instance refreshes) of the fleet runtime: a restarted control plane knows them."""

stopped_executions = Table(
    "stopped_executions",
    metadata,
    # The execution's name: the owner of its lock and the execution id of its releases.
    Column("execution_id", String(200), primary_key=True),
    Column("stopped_by", String(200), nullable=False),
    Column("stopped_at", UTCDateTime(), nullable=False),
)
"""Executions stopped by an operator: from then on they may neither take a lock nor pin a release."""

held_task_tokens = Table(
    "held_task_tokens",
    metadata,
    # The execution on Step Functions (an ``aws-stepfunctions`` environment's) whose task waits.
    Column("execution_arn", String(600), primary_key=True),
    Column("state", String(80), nullable=False),
    # The task token, sealed (AES-GCM under the state dir's secrets.key, bound to the ARN).
    Column("sealed_token", LargeBinary(), nullable=False),
    Column("held_at", UTCDateTime(), nullable=False),
)
"""Task tokens of Step Functions tasks that wait for a person (an approval gate), handed to the
control plane by ``fleetops worker``: what ``fleetops approve`` answers with."""

resource_tags = Table(
    "resource_tags",
    metadata,
    Column("resource_arn", String(500), primary_key=True),
    Column("key", String(128), primary_key=True),
    Column("value", String(256), nullable=False),
)
"""Tags of Step Functions resources (TagResource): ``Status=EmergencyShutdown`` on a state
machine refuses new executions of it."""

launch_templates = Table(
    "launch_templates",
    metadata,
    Column("environment", String(100), primary_key=True),
    Column("service", String(100), primary_key=True),
    # NULL: not set (the service's current release stands in).
    Column("default_version", Integer(), nullable=True),
    Column("group_version", String(20), nullable=True),
    # VersionDescription by version number (text keys).
    Column("descriptions", JSON(), nullable=False),
)
"""The local AWS endpoint's launch template pointers and version descriptions, per service."""

scaling_policies = Table(
    "scaling_policies",
    metadata,
    Column("environment", String(100), primary_key=True),
    Column("service", String(100), primary_key=True),
    Column("name", String(255), nullable=False),
    # NULL: deleted through the endpoint (no policy, whatever the fleet file says).
    Column("target_cpu", Float(), nullable=True),
    Column("disable_scale_in", Boolean(), nullable=False),
    Column("warmup_s", Integer(), nullable=True),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("updated_by", String(200), nullable=False),
)
"""Target tracking policies put through the AWS endpoint (PutScalingPolicy, DeletePolicy): they
replace a service's ``scaling`` from the fleet file."""

simple_scaling_policies = Table(
    "simple_scaling_policies",
    metadata,
    Column("environment", String(100), primary_key=True),
    Column("service", String(100), primary_key=True),
    Column("name", String(255), primary_key=True),
    Column("adjustment_type", String(40), nullable=False),
    Column("scaling_adjustment", Integer(), nullable=False),
    Column("min_adjustment_magnitude", Integer(), nullable=True),
    Column("cooldown_s", Integer(), nullable=True),
    Column("enabled", Boolean(), nullable=False),
    # When it last changed the group's capacity: the group's cooldown starts there.
    Column("executed_at", UTCDateTime(), nullable=True),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("updated_by", String(200), nullable=False),
)
"""Simple scaling policies put through the AWS endpoint (PutScalingPolicy), run by alarms whose
actions name them and by ExecutePolicy."""

metric_data = Table(
    "metric_data",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    # Two environments of one fleet may name their groups alike (the aws: blocks are shared).
    Column("environment", String(100), nullable=False),
    Column("namespace", String(255), nullable=False),
    Column("metric", String(255), nullable=False),
    # Canonical "Name=Value,Name=Value", sorted by name ("" for none): one series per combination.
    Column("dimensions", String(1024), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    # 0: one raw sample; otherwise the width of the downsampled period starting at ``at``.
    Column("period_s", Integer(), nullable=False),
    Column("sample_count", Integer(), nullable=False),
    Column("total", Float(), nullable=False),
    Column("minimum", Float(), nullable=False),
    Column("maximum", Float(), nullable=False),
    Index(None, "environment", "namespace", "metric", "dimensions", "at"),
    Index(None, "period_s", "at"),
)
"""Metric samples (``period_s`` 0) and downsampled periods, CloudWatch-named (``ops.metrics``)."""
backups = Table(
    "backups",
    metadata,
    Column("backup_id", String(100), primary_key=True),
    Column("environment", String(100), nullable=False),
    Column("datastore", String(100), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("duration_ms", Integer(), nullable=False),
    # Where the file lives, its size and checksum: a verification first checks these.
    Column("location", Text(), nullable=False),
    Column("size_bytes", BigInteger(), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("tool", String(100), nullable=False),
    Column("tool_version", String(200), nullable=False),
    # The source's position when the backup was taken: PostgreSQL's WAL LSN, Redis' replication
    # offset, a time for SQLite ("lsn:0/16B3748", "offset:1234", "time:2026-...").
    Column("source_position", String(200), nullable=False),
    # Table (or key space) -> row (key) count at backup time: what a restore must show again.
    Column("contents", JSON(), nullable=False),
    Column("verify_status", String(20), nullable=True),
    Column("verified_at", UTCDateTime(), nullable=True),
    Column("verify_ms", Integer(), nullable=True),
    Column("verify_detail", Text(), nullable=True),
    # Why it was taken when not by hand: "pre-restore" (the restore runbook's snapshot of the
    # state it replaces), "scheduled" (the datastore's backup schedule).
    Column("tag", String(40), nullable=True),
    Index(None, "environment", "datastore", "created_at"),
)
"""The backup catalog: every backup taken, where it is, and whether a restore of it was verified."""

secret_versions = Table(
    "secret_versions",
    metadata,
    Column("environment", String(100), primary_key=True),
    Column("name", String(100), primary_key=True),
    Column("version_id", String(64), primary_key=True),
    # 1, 2, 3… per secret, in the order versions were made.
    Column("number", Integer(), nullable=False),
    # AES-GCM of the value (ops/secrets/cipher.py); the key lives in a file outside the database.
    Column("ciphertext", LargeBinary(), nullable=False),
    # How the value came: generated, put, imported (from a sandbox's old secrets.json).
    Column("source", String(20), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("created_by", String(200), nullable=False),
    # The database login the value is the password of, when a rotation alternates between two
    # (``orders`` / ``orders_clone``); None: the datastore's own user, or not a password.
    Column("username", String(63), nullable=True),
)
"""Every value a secret has had, encrypted; staging labels point at them."""

secret_stages = Table(
    "secret_stages",
    metadata,
    Column("environment", String(100), primary_key=True),
    Column("name", String(100), primary_key=True),
    # AWSCURRENT, AWSPENDING, AWSPREVIOUS: the key makes a label sit on one version at most.
    Column("stage", String(20), primary_key=True),
    Column("version_id", String(64), nullable=False),
)
"""Which version of a secret each staging label is on."""

secret_events = Table(
    "secret_events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("environment", String(100), nullable=False),
    Column("name", String(100), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("action", String(40), nullable=False),
    Column("version_id", String(64), nullable=True),
    Column("by", String(200), nullable=False),
    # What changed, never a value: {"stage": "AWSCURRENT", "from": "<version id>"}.
    Column("detail", JSON(), nullable=False),
    Index(None, "environment", "name", "id"),
)
"""A secret's history: versions created and staging labels moved."""

alarm_history = Table(
    "alarm_history",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("environment", String(100), nullable=False),
    Column("alarm", String(255), nullable=False),
    # "" for an alarm of no service (a composite alarm, a fleetops/Deployments alarm).
    Column("service", String(100), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    # StateUpdate or Action (DescribeAlarmHistory's HistoryItemType).
    Column("kind", String(30), nullable=False),
    Column("old_state", String(30), nullable=True),
    Column("new_state", String(30), nullable=True),
    Column("summary", Text(), nullable=False),
    Column("reason", Text(), nullable=False),
    Index(None, "environment", "alarm", "at"),
)
"""Alarm state changes and the actions taken or held on them (``fleetops alarms history``)."""

alarm_actions_disabled = Table(
    "alarm_actions_disabled",
    metadata,
    Column("environment", String(100), primary_key=True),
    Column("alarm", String(255), primary_key=True),
    Column("service", String(100), primary_key=True),
    Column("by", String(200), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
)
"""Alarms whose actions are disabled (``fleetops alarms disable-actions``): kept over restarts."""

incidents = Table(
    "incidents",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("environment", String(100), nullable=False),
    # SEV1 (the most severe) .. SEV4.
    Column("severity", String(8), nullable=False),
    Column("title", String(200), nullable=False),
    Column("description", Text(), nullable=True),
    # investigating, identified, monitoring, resolved: the status of the latest timeline entry.
    Column("status", String(20), nullable=False),
    # When a fix is expected (--eta), if anyone said.
    Column("eta_at", UTCDateTime(), nullable=True),
    Column("opened_by", String(200), nullable=False),
    Column("opened_at", UTCDateTime(), nullable=False),
    Column("resolved_by", String(200), nullable=True),
    Column("resolved_at", UTCDateTime(), nullable=True),
    Column("summary", Text(), nullable=True),
    Index(None, "resolved_at", "id"),
)
"""Incidents (``fleetops incident open``): one row each, its current status and resolution."""

incident_updates = Table(
    "incident_updates",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("incident_id", BigId, nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    # The token that wrote it.
    Column("author", String(200), nullable=False),
    Column("status", String(20), nullable=False),
    Column("message", Text(), nullable=False),
    Index(None, "incident_id", "id"),
)
"""An incident's timeline: its opening, every update and its resolution, in order."""
