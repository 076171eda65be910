"""``AwsFleetRuntime``: an aws environment of the fleet inside the control plane.

It is the ``FleetControl`` of an environment with ``provider: aws``: the same deploy, rollback,
promote, stop, scale, status, activities and logs the local ``FleetRuntime`` answers, done by AWS
through boto3 (``fleetops.providers.aws``). Nothing runs here: AWS runs the instances and the
rollouts, the runtime starts them and looks at them when asked (the runbooks' Wait states poll).

- ``start()`` checks before acting (``fleetops.providers.aws.preflight``: the credentials'
  account and region, every named resource exists and matches the file; ``BadInput`` listing each
  difference), then records each service's first release at the version its group runs (its
  launch template version's ``fleetops:version`` tag, else ``fleetops up --version``).
- A rollout is persisted in the store's ``rollouts`` table like a local one; the AWS refresh it
  started and its target are kept beside its preferences (``preferences["aws_refresh"]``). A start
  is idempotent by rollout id, and a row the control plane saved before it died without the
  refresh id is matched to a refresh toward its target started since (or to the one AWS reports
  in progress for it), so a restarted control plane never starts a second refresh.
- A release's target (launch template version number, task definition ARN) is recorded in
  fleetops' release (``provider_target``) when first made, and a later rollout to that release
  (a rollback to it) names it from there.
- A refresh that succeeds makes its release the service's current one and its target what the
  service launches (``finalize``: the group's launch template set to that numbered version).
- A deployment rolled back while a refresh of a group runs undoes it with AWS's own
  RollbackInstanceRefresh (``rolls_back_in_place``): the group's previous launch template version
  and the instances it launched come back, with no second refresh.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from fleetops.clock import SYSTEM_CLOCK, Clock
from fleetops.control.aws_alarms import AwsAlarms
from fleetops.control.aws_secrets import AwsSecrets
from fleetops.control.initial_releases import pin_initial, verify_ready
from fleetops.control.rollout_state import new_row, row_view
from fleetops.control.secret_targets import NoRotationTargets
from fleetops.errors import BadInput, Refused
from fleetops.ops.logquery import QueryResult
from fleetops.providers.aws.autoscaling import AutoScalingService
from fleetops.providers.aws.backend import Refresh, ServiceBackend
from fleetops.providers.aws.cloudwatch_logs import read_logs
from fleetops.providers.aws.ecs import EcsService
from fleetops.providers.aws.factory import backends_of
from fleetops.providers.aws.insights import insights_query
from fleetops.providers.aws.preflight import preflight
from fleetops.providers.aws.session import AwsClients, AwsError
from fleetops.redaction import SecretSource
from fleetops.rollout import RefreshStatus
from fleetops.runbooks.ports import (
    OPERATOR_CAUSE,
    FleetStatus,
    InstanceStatus,
    RolloutRequest,
    RolloutView,
    ScalingActivity,
    ServiceStatus,
)
from fleetops.spec.aws_names import log_group_name
from fleetops.spec.fleet import Fleet
from fleetops.spec.models import AwsSettings, Service
from fleetops.spec.rollout_settings import refresh_preferences
from fleetops.store import Store
from fleetops.store.fleet_state import CANCELLABLE, RolloutRow

ADOPT_SLACK = timedelta(minutes=1)
"""A refresh started this long before its row was saved still counts as its (clock skew)."""
_FAILED = frozenset({"Failed", "Cancelled", "RollbackSuccessful", "RollbackFailed"})
_CAUSE = re.compile(r"from (\d+) to (\d+)")


class AwsFleetRuntime(NoRotationTargets):
    """See the module docstring. Thread-safe: the server calls it from its worker threads."""

    def __init__(
        self,
        fleet: Fleet,
        environment: str,
        *,
        store: Store,
        initial_version: str = "v1",
        clients: AwsClients | None = None,
        clock: Clock = SYSTEM_CLOCK,
        secret_values: SecretSource = tuple,
    ) -> None:
        """``secret_values()``: the environment's secret values, removed from what the server
        stores and answers (with those ``fleetops secrets`` read or put in Secrets Manager)."""
        settings = fleet.environments.get(environment)
        if not isinstance(settings, AwsSettings):
            raise BadInput(f"environment {environment!r} does not run on aws")
        self.fleet = fleet
        self.environment = environment
        self.settings = settings
        self.store = store
        self.initial_version = initial_version
        self.clients = clients or AwsClients(settings.region, settings.profile)
        self.services = list(fleet.services)
        self.backends: dict[str, ServiceBackend] = backends_of(fleet, environment, self.clients)
        self.alarms = AwsAlarms(fleet, environment, self.clients)
        self.secrets = AwsSecrets(fleet, environment, self.clients, clock=clock)
        self._clock = clock
        self._lock = threading.RLock()
        self._initial_pending = False
        self._secret_values = secret_values

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Check the account and every resource (``BadInput`` listing the differences), put the
        fleet file's alarms and target-tracking policies (``scaling:``: PutScalingPolicy on
        ASGAverageCPUUtilization for a group; for an ECS service, RegisterScalableTarget and
        PutScalingPolicy on ECSServiceAverageCPUUtilization in Application Auto Scaling), and
        record each service's first release."""
        preflight(self.fleet, self.environment, self.clients)
        self.alarms.put_all()
        for name in self.services:
            backend = self.backends[name]
            scaling = self._service(name).scaling
            if scaling is not None and isinstance(backend, AutoScalingService):
                warmup = scaling.warmup if scaling.warmup is not None else self._service(name).deploy.warmup
                backend.put_target_tracking(
                    scaling.target_cpu,
                    disable_scale_in=scaling.disable_scale_in,
                    warmup_s=round(warmup.total_seconds()),
                )
            if isinstance(backend, EcsService):
                backend.put_target_tracking()
            capacity = backend.capacity()
            state = self.store.service_state.get(self.environment, name)
            if state is None:
                version = backend.current_label() or self.initial_version
                state = self.store.service_state.save(
                    self.environment, name, version=version, desired=capacity.desired
                )
            release = pin_initial(self.store, self.fleet, self.environment, name, state.version)
            if release is not None:  # its target recorded now, so a rollback can come back to it
                target = backend.record_current(self.environment, release.number, release.version)
                self.store.releases.set_provider_target(self.environment, name, release.number, target)
        self._initial_pending = True

    def stop(self) -> None:
        """Nothing to stop: AWS runs the instances and the refreshes (a restart follows them)."""

    # -- rollouts -------------------------------------------------------------------------------

    def start_rollout(self, request: RolloutRequest) -> RolloutView:
        """Start an instance refresh (or ECS deployment) of the request's release (idempotent by id)."""
        self._check_service(request.environment, request.service)
        preferences = request.preferences or refresh_preferences(self._service(request.service).deploy)
        with self._lock:
            row = self.store.rollouts.get(request.rollout_id)
            if row is not None:
                self._check_row(row)
                return self.describe_rollout(row.rollout_id)
            busy = self._busy(request.service)
            if busy is not None:
                raise Refused(
                    f"service {request.service!r} has rollout {busy!r} in progress; wait for it or cancel it"
                )
            self.alarms.gate(request.service, preferences.alarms)
            previous = self._state(request.service)
            row, created = self.store.rollouts.create(
                new_row(request, preferences, previous=previous, now=self._clock.now())
            )
            if not created:
                self._check_row(row)
                return row_view(row)
            return self._launch(row)

    def fence_rollout(self, request: RolloutRequest) -> RolloutView:
        """Record ``request.rollout_id`` Cancelled (``FENCED``) unless a rollout with it exists."""
        self._check_service(request.environment, request.service)
        preferences = request.preferences or refresh_preferences(self._service(request.service).deploy)
        previous = self._state(request.service)
        row, _ = self.store.rollouts.create(
            new_row(request, preferences, previous=previous, now=self._clock.now(), fence=True)
        )
        self._check_row(row)
        return row_view(row)

    def describe_rollout(self, rollout_id: str) -> RolloutView:
        """The rollout now (DescribeInstanceRefreshes while it runs); KeyError if unknown."""
        row = self.store.rollouts.get(rollout_id)
        if row is None:
            raise KeyError(rollout_id)
        if not row.unfinished:
            return row_view(row)
        with self._lock:
            row = self.store.rollouts.get(rollout_id) or row
            if not row.unfinished:
                return row_view(row)
            if _refresh_ref(row) is None:  # saved, then the control plane died before the refresh id
                return self._launch(row)
            return self._follow(row)

    def cancel_rollout(self, rollout_id: str) -> RolloutView:
        """CancelInstanceRefresh; Refused once the rollout has ended."""
        row = self.store.rollouts.get(rollout_id)
        if row is None:
            raise KeyError(rollout_id)
        if row.status not in CANCELLABLE:
            raise Refused(f"rollout {rollout_id!r} is {row.status}: there is nothing to cancel")
        with self._lock:
            ref = _refresh_ref(row)
            if ref is None:
                self.store.rollouts.update(
                    rollout_id,
                    status=RefreshStatus.CANCELLED.value,
                    status_reason="Cancelled before its refresh started",
                    ended_at=self._clock.now(),
                )
            else:
                self.backends[row.service].cancel(ref["id"])
                self.store.rollouts.update(rollout_id, status=RefreshStatus.CANCELLING.value)
        return self.describe_rollout(rollout_id)

    def rollback_rollout(self, rollout_id: str) -> RolloutView:
        """RollbackInstanceRefresh: AWS stops the refresh and puts back the instances it replaced;
        KeyError when unknown, Refused once it has ended or before its refresh started."""
        row = self.store.rollouts.get(rollout_id)
        if row is None:
            raise KeyError(rollout_id)
        ref = _refresh_ref(row)
        if row.status not in CANCELLABLE or ref is None:
            raise Refused(f"rollout {rollout_id!r} is {row.status}: there is no refresh to roll back")
        with self._lock:
            self.backends[row.service].rollback(ref["id"])
            self.store.rollouts.update(rollout_id, status=RefreshStatus.ROLLBACK_IN_PROGRESS.value)
        return self.describe_rollout(rollout_id)

    def rolls_back_in_place(self, service: str) -> bool:
        """Yes for an Auto Scaling group (RollbackInstanceRefresh puts back the launch template
        version and the instances the refresh replaced); an ECS service's deployment is
        cancelled and the service updated to its last verified revision."""
        self._check_service(self.environment, service)
        return isinstance(self.backends[service], AutoScalingService)

    def rollouts(self, limit: int = 50) -> list[RolloutView]:
        """Rollouts of this environment, newest first."""
        return [
            self.describe_rollout(row.rollout_id)
            for row in self.store.rollouts.list(self.environment, limit=limit)
        ]

    def _launch(self, row: RolloutRow) -> RolloutView:
        backend = self.backends[row.service]
        target = self._target(backend, row)
        refresh = self._adoptable(backend, row, target)
        if refresh is None:
            preferences = self.alarms.aws_preferences(row.service, row.preferences["aws"])
            try:
                refresh_id = backend.start(target, preferences)
            except AwsError as err:
                if err.code != "InstanceRefreshInProgress":
                    raise
                raise Refused(
                    f"{row.service}: AWS runs another refresh of {backend.service} ({err.aws_message}); "
                    "wait for it or cancel it"
                ) from err
            refresh = backend.describe(refresh_id)
        preferences = {**row.preferences, "aws_refresh": {"id": refresh.id, "target": target}}
        self.store.rollouts.update(row.rollout_id, preferences=preferences, status="InProgress")
        return self._follow(self.store.rollouts.get(row.rollout_id) or row)

    def _target(self, backend: ServiceBackend, row: RolloutRow) -> str:
        """The release's target: as fleetops' release records it, else found or made on AWS
        (and recorded in the release from then on)."""
        release = self.store.releases.get(self.environment, row.service, row.release_number)
        if release is not None and release.provider_target and release.version == row.version:
            return release.provider_target
        target = backend.release_target(self.environment, row.release_number, row.version)
        if release is not None and release.version == row.version:
            self.store.releases.set_provider_target(self.environment, row.service, row.release_number, target)
        return target

    def _adoptable(self, backend: ServiceBackend, row: RolloutRow, target: str) -> Refresh | None:
        """A refresh toward ``target`` started since ``row`` was saved that no other rollout
        claims: the one this rollout started before the control plane died."""
        claimed = {
            ref["id"]
            for other in self.store.rollouts.list(self.environment, limit=1000)
            if other.service == row.service and (ref := _refresh_ref(other)) is not None
        }
        for refresh in backend.recent():
            if refresh.target != target or refresh.id in claimed:
                continue
            started = refresh.started_at
            if started is not None and started >= row.started_at - ADOPT_SLACK:
                return refresh
        return None

    def _follow(self, row: RolloutRow) -> RolloutView:
        ref = _refresh_ref(row)
        assert ref is not None
        backend = self.backends[row.service]
        refresh = backend.describe(ref["id"])
        changes: dict[str, Any] = {
            "status": refresh.status,
            "status_reason": refresh.status_reason,
            "percentage_complete": refresh.percentage_complete,
            "instances_to_update": refresh.instances_to_update,
        }
        if refresh.status == RefreshStatus.SUCCESSFUL.value:
            backend.finalize(ref["target"])
            self.store.service_state.save(
                self.environment, row.service, version=row.version, release_number=row.release_number
            )
            changes["ended_at"] = refresh.ended_at or self._clock.now()
        elif refresh.status in _FAILED:
            changes["ended_at"] = refresh.ended_at or self._clock.now()
            changes["failure"] = self._failure_report(backend, row, refresh)
        self.store.rollouts.update(row.rollout_id, **changes)
        saved = self.store.rollouts.get(row.rollout_id)
        assert saved is not None
        return row_view(saved)

    def _failure_report(self, backend: ServiceBackend, row: RolloutRow, refresh: Refresh) -> str:
        lines = [refresh.status_reason or f"the refresh ended {refresh.status}"]
        try:
            instances = backend.capacity().instances
        except AwsError as err:
            return "\n".join([*lines, f"(instances not described: {err.message})"])
        for instance in instances:
            if instance.health != "healthy":
                lines.append(
                    f"instance {instance.id} ({instance.version or '?'}): {instance.state}, target "
                    f"{instance.health}" + (f" ({instance.health_reason})" if instance.health_reason else "")
                )
        return "\n".join(lines)

    # -- fleet ----------------------------------------------------------------------------------

    def current_versions(self) -> dict[str, str]:
        """Service -> the version of its current release."""
        return {name: self._state(name).version for name in self.services}

    def endpoint(self, service: str) -> str:
        """The URL of the service's load balancer."""
        return self.backends[service].endpoint()

    def status(self) -> FleetStatus:
        """Every service: desired state, instances with target health, rollout running."""
        states = self.store.service_state.all(self.environment)
        running = {
            row.service: row.rollout_id
            for row in self.store.rollouts.list(self.environment, unfinished=True, limit=1000)
        }
        services = []
        for name in self.services:
            backend = self.backends[name]
            capacity = backend.capacity()
            state = states.get(name)
            services.append(
                ServiceStatus(
                    name=name,
                    endpoint=backend.endpoint(),
                    version=state.version if state else self.initial_version,
                    release_number=state.release_number if state else 0,
                    desired=capacity.desired,
                    min=capacity.minimum,
                    max=capacity.maximum,
                    instances=tuple(
                        InstanceStatus(
                            id=i.id,
                            version=i.version,
                            state=i.state,
                            health=i.health,
                            health_reason=i.health_reason,
                            port=0,
                            started_at=i.launched_at or self._clock.now(),
                        )
                        for i in capacity.instances
                    ),
                    rollout=running.get(name),
                )
            )
        status = FleetStatus(fleet=self.fleet.name, environment=self.environment, services=tuple(services))
        if self._initial_pending:
            self._initial_pending = bool(verify_ready(self.store, self.environment, status))
        return status

    def services_status(self) -> FleetStatus:
        """``status``: this runtime reports no datastores."""
        return self.status()

    def scale(self, service: str, desired: int, *, cause: str = OPERATOR_CAUSE) -> None:
        """SetDesiredCapacity (BadInput outside the fleet file's min..max; Refused during a rollout);
        the cause AWS records is its own."""
        self._check_service(self.environment, service)
        bounds = self._service(service).instances
        if not bounds.min <= desired <= bounds.max:
            raise BadInput(
                f"desired count {desired} for {service!r} is outside its instances min..max "
                f"({bounds.min}..{bounds.max})"
            )
        self.set_desired(service, desired)

    def set_desired(self, service: str, desired: int) -> None:
        """Apply and save a desired count, 0 and counts outside min..max too (a restore's pause:
        an ECS service's scalable target is widened to take it); Refused during a rollout."""
        self._check_service(self.environment, service)
        busy = self._busy(service)
        if busy is not None:
            raise Refused(f"service {service!r} has rollout {busy!r} in progress; scale it afterwards")
        self.backends[service].set_desired(desired)
        self.store.service_state.save(self.environment, service, desired=desired)

    def scaling_activities(self, service: str | None = None) -> list[ScalingActivity]:
        """DescribeScalingActivities of each service (or one), newest first."""
        names = [service] if service is not None else self.services
        out = []
        for name in names:
            self._check_service(self.environment, name)
            for item in self.backends[name].activities():
                cause = str(item.get("Cause") or item.get("Description") or "")
                found = _CAUSE.search(cause)
                before, after = (int(found.group(1)), int(found.group(2))) if found else (0, 0)
                if item.get("After") is not None:  # Application Auto Scaling's (ECS)
                    after = int(item["After"])
                    before = int(item.get("Before", after))
                at = item.get("StartTime")
                out.append(
                    ScalingActivity(
                        at=at if isinstance(at, datetime) else self._clock.now(),
                        service=name,
                        before=before,
                        after=after,
                        cause=cause,
                    )
                )
        return sorted(out, key=lambda a: a.at, reverse=True)

    def logs(
        self,
        service: str,
        *,
        instance_id: str | None = None,
        limit: int = 100,
        pattern: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[dict[str, Any]]:
        """The last ``limit`` records of the service's log group (FilterLogEvents with ``pattern``)
        written from ``start`` (default: a day before ``end``) to ``end`` (default: now)."""
        self._check_service(self.environment, service)
        return read_logs(
            self.clients,
            log_group_name(self.fleet, self.environment, service),
            instance_id=instance_id,
            limit=limit,
            pattern=pattern,
            start=start,
            end=end or self._clock.now(),
        )

    def query_logs(
        self,
        query: str,
        *,
        services: Sequence[str] | None,
        platform: bool,
        start: datetime | None,
        end: datetime | None,
    ) -> QueryResult:
        """Run a Logs Insights query in CloudWatch over the services' log groups (StartQuery,
        GetQueryResults) between ``start`` (default an hour before ``end``) and ``end`` (now)."""
        if platform:
            raise BadInput(
                f"environment {self.environment!r} runs on aws: its load balancer's access log is not "
                "a CloudWatch Logs group fleetops knows (query the services' groups, without --all)"
            )
        names = list(services) if services else self.services
        for name in names:
            self._check_service(self.environment, name)
        stop = end or self._clock.now()
        answer = insights_query(
            self.clients,
            [log_group_name(self.fleet, self.environment, name) for name in names],
            query,
            start=start or stop - timedelta(hours=1),
            end=stop,
        )
        rows = [
            {str(cell["field"]): str(cell.get("value", "")) for cell in row if cell.get("field") != "@ptr"}
            for row in answer.get("results", [])
        ]
        columns = tuple(dict.fromkeys(field for row in rows for field in row))
        stats = answer.get("statistics") or {}
        return QueryResult(
            columns=columns,
            rows=rows,
            records_scanned=int(stats.get("recordsScanned", 0)),
            records_matched=int(stats.get("recordsMatched", len(rows))),
            bytes_scanned=int(stats.get("bytesScanned", 0)),
        )

    # -- internals ------------------------------------------------------------------------------

    def secret_values(self) -> frozenset[str]:
        """The environment's secret values (what redaction removes)."""
        return frozenset(self._secret_values()) | self.secrets.seen_values()

    def _busy(self, service: str) -> str | None:
        for row in self.store.rollouts.list(self.environment, unfinished=True, limit=1000):
            if row.service == service:
                return row.rollout_id
        return None

    def _state(self, service: str) -> Any:
        state = self.store.service_state.get(self.environment, service)
        if state is None:
            state = self.store.service_state.save(
                self.environment,
                service,
                version=self.initial_version,
                desired=self._service(service).instances.desired,
            )
        return state

    def _service(self, name: str) -> Service:
        return self.fleet.service(name, self.environment)

    def _check_row(self, row: RolloutRow) -> None:
        if row.environment != self.environment:
            raise BadInput(f"rollout {row.rollout_id!r} belongs to environment {row.environment!r}")

    def _check_service(self, environment: str, service: str) -> None:
        if environment != self.environment:
            raise BadInput(f"this runtime runs environment {self.environment!r}, not {environment!r}")
        if service not in self.services:
            known = ", ".join(self.services)
            raise BadInput(f"unknown service {service!r} in environment {environment!r} (known: {known})")


def _refresh_ref(row: RolloutRow) -> Mapping[str, str] | None:
    ref = row.preferences.get("aws_refresh")
    return ref if isinstance(ref, dict) else None


__all__ = ["AwsFleetRuntime"]
