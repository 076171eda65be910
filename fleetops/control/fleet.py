"""``FleetRuntime``: the provider of one (fleet, environment) inside the control plane.

It is the facade the server and the deploy runbooks use (it implements ``FleetControl``,
``fleetops.runbooks.ports``), and it keeps each service's desired state: ``start()`` starts
the provider and brings every service to its desired state (its desired count, at its current
release's version, both kept in the store's ``service_state``; on first start the version ``up``
was given, recorded as the service's first release and verified by a background look once the
service is healthy at it: ``fleetops.control.initial_releases``), ``stop()`` stops every
process it started. ``scale`` and ``set_desired`` change a desired count, ``status``,
``current_versions`` and ``logs`` read the provider.

Its parts, one concept each:
- rollouts: ``fleetops.control.rollout_runner.RolloutRunner``, on an asyncio loop thread of
  its own, persisted in the store, resumed by ``start()``; this class checks each request's
  environment and service and hands it over;
- autoscaling: ``fleetops.control.autoscaler.Autoscaler``, which leaves a service alone during
  its rollout (and ``scale`` refuses it);
- alarms: the environment's ``AlarmMonitor`` (``alarms``): the fleet file's alarms evaluated on
  the provider's metrics, which rollouts' alarm gates read through ``ProviderPort.alarm_states``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from fleetops.control import simple_scaling
from fleetops.control.autoscaler import Autoscaler
from fleetops.control.environments import check_local
from fleetops.control.initial_releases import pin_initial, verify_ready, verify_when_ready
from fleetops.control.log_queries import query_logs
from fleetops.control.metrics_sampler import MetricsSampler
from fleetops.control.rollout_runner import LIVE, RolloutRunner
from fleetops.control.runtime_settings import RuntimeSettings
from fleetops.control.scaling_policy import target_tracking
from fleetops.control.secret_targets import LocalSecretTargets
from fleetops.errors import BadInput, Refused
from fleetops.ops.alarms import AlarmActions, AlarmMonitor, local_metrics
from fleetops.ops.alarms.actions import StartRunbook
from fleetops.ops.alarms.stored_metrics import StoredMetrics
from fleetops.ops.logfilter import compile_filter, in_window
from fleetops.ops.logquery import QueryResult
from fleetops.providers.base import InstanceState, ManagedProvider
from fleetops.providers.local.datastores import LocalDatastores
from fleetops.redaction import SecretSource
from fleetops.runbooks.ports import (
    OPERATOR_CAUSE,
    DatastoreStatus,
    FleetStatus,
    InstanceStatus,
    RolloutRequest,
    RolloutView,
    ScalingActivity,
    ServiceStatus,
)
from fleetops.spec.aws_names import auto_scaling_group_name
from fleetops.spec.fleet import Fleet
from fleetops.spec.graph import waves
from fleetops.spec.models import Service
from fleetops.store import Store
from fleetops.store.fleet_state import ServiceState


class FleetRuntime:
    """See the module docstring. Thread-safe: the server calls it from its worker threads."""

    def __init__(
        self,
        fleet: Fleet,
        environment: str,
        *,
        provider: ManagedProvider,
        store: Store,
        initial_version: str = "v1",
        settings: RuntimeSettings | None = None,
        secret_values: SecretSource = tuple,
        datastores: LocalDatastores | None = None,
        start_runbook: StartRunbook | None = None,
    ) -> None:
        """``secret_values()``: the environment's current and previous secret values (its
        provider hands them to instances; redaction removes them from what comes back);
        ``datastores``: the ones its provider runs, whose health ``status`` shows;
        ``start_runbook``: how its alarms start their runbooks (rollback, scale-out)."""
        check_local(fleet, environment)
        self.datastores = datastores
        self._secret_values = secret_values
        self.fleet = fleet
        self.environment = environment
        self.provider = provider
        self.store = store
        self.initial_version = initial_version
        self.settings = settings or RuntimeSettings()
        self.services = [name for name in fleet.services if fleet.service(name, environment).run is not None]
        self.autoscaler = Autoscaler(
            fleet,
            environment,
            self.services,
            provider=provider,
            desired=self._saved_desired,
            rolling=self.rolling,
            set_desired=self.set_desired,
            interval_s=self.settings.scale_interval_s,
        )
        self.alarm_actions = AlarmActions(
            store,
            fleet,
            environment,
            secret_values=secret_values,
            start_runbook=start_runbook,
            execute_policy=self._alarm_policy,
        )
        for name in self.services:  # policies put through the AWS endpoint outlive a restart
            self.apply_scaling_policy(name)
        self.alarms = AlarmMonitor(
            fleet,
            environment,
            self.services,
            metrics=local_metrics(provider, self.services),
            on_change=self.alarm_actions,
            on_composite=self.alarm_actions.composite,
            stored=StoredMetrics(
                store.metrics,
                environment,
                lambda service: auto_scaling_group_name(fleet, environment, service),
            ),
            history=store.alarm_history,
        )
        self.metrics = MetricsSampler(
            store.metrics,
            environment,
            services=self.services,
            group_name=lambda service: auto_scaling_group_name(fleet, environment, service),
            instances=provider.instances,
            usage=provider.usage,
            desired=self._saved_desired,
            interval_s=self.settings.metrics_interval_s,
            datastores=datastores.health if datastores is not None else None,
        )
        self._rollouts = RolloutRunner(
            fleet,
            environment,
            self.services,
            provider=provider,
            store=store,
            alarms=self.alarms,
            settings=self.settings,
            service_state=self._state,
        )
        self._secret_targets = LocalSecretTargets(
            datastores, provider.instances, lambda service: self._service(service).health.path
        )
        self._started = False

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the provider and the rollout loop, bring every service to its desired state,
        start unfinished rollouts again, and start autoscaling."""
        if self._started:
            return
        self._started = True
        self.provider.start()
        self._rollouts.start()
        states = self.store.service_state.all(self.environment)
        unfinished = self.store.rollouts.list(self.environment, unfinished=True, limit=1000)
        # A service in the middle of a rollout is left to it: the instances the provider adopted
        # (old and new versions) are what the resumed rollout goes on from; scaling it down now
        # could terminate new ones. Only missing instances are launched (up to the desired count).
        rolling = {row.service for row in unfinished}
        order = [name for wave in waves(self._dependencies()) for name in wave if name in self.services]
        for name in order:
            state = states.get(name)
            if state is None:
                desired = self.fleet.service(name, self.environment).instances.desired
                state = self.store.service_state.save(
                    self.environment, name, version=self.initial_version, desired=desired
                )
            if name in rolling:
                # An adopted instance still Pending is one the rollout launched and has lost track
                # of (it follows only what it sees in service): it goes, the rollout launches
                # what it still needs.
                for instance in self.provider.instances(name):
                    if instance.state is InstanceState.PENDING:
                        self.provider.terminate(instance.id, drain=False)
            live = sum(1 for i in self.provider.instances(name) if i.state in LIVE)
            if name not in rolling or live < state.desired:
                self.provider.scale(name, state.desired, version=state.version)
            pin_initial(self.store, self.fleet, self.environment, name, state.version)
        self.alarms.start()
        for row in unfinished:
            self._rollouts.resume(row)
        self._rollouts.submit(
            verify_when_ready(self._verify_initial, interval_s=self.settings.verify_interval_s)
        )
        self.autoscaler.start()
        self.metrics.start()

    def stop(self) -> None:
        """Stop autoscaling and the rollouts (left unfinished in the store: a restart resumes
        them), then the provider and every process it started. Idempotent."""
        if not self._started:
            return
        self._started = False
        self.metrics.stop()
        self.autoscaler.stop()
        self.alarms.stop()
        self._rollouts.stop()
        self.provider.stop()

    # -- rollouts -------------------------------------------------------------------------------

    def start_rollout(self, request: RolloutRequest) -> RolloutView:
        """Start replacing the service's instances with the request's version (idempotent by id)."""
        self._check_service(request.environment, request.service)
        return self._rollouts.start_rollout(request)

    def fence_rollout(self, request: RolloutRequest) -> RolloutView:
        """Make sure no rollout with ``request.rollout_id`` starts from now on: unless one exists,
        record the id Cancelled (``FENCED``) without launching anything. The record is in the
        store, whose insert is the one place a start and a fence of an id meet, so the fence
        holds for every server on this store and after a restart. The existing rollout, or the fence."""
        self._check_service(request.environment, request.service)
        return self._rollouts.fence_rollout(request)

    def describe_rollout(self, rollout_id: str) -> RolloutView:
        """The rollout now; KeyError if unknown."""
        return self._rollouts.describe_rollout(rollout_id)

    def cancel_rollout(self, rollout_id: str) -> RolloutView:
        """Stop replacing instances (CancelInstanceRefresh); Refused once it has ended. A rollout
        not running here (another server on this store runs it) is asked to cancel in the store:
        the server running it cancels it when it next saves its progress, or when it resumes it."""
        return self._rollouts.cancel_rollout(rollout_id)

    def rollback_rollout(self, rollout_id: str) -> RolloutView:
        """Stop the running rollout and return what it replaced to the previous version
        (RollbackInstanceRefresh); KeyError when it does not run here, Refused when it cannot."""
        return self._rollouts.rollback_rollout(rollout_id)

    def apply_scaling_policy(self, service: str) -> None:
        """Have the autoscaler run the service's policy: the one put through the AWS endpoint
        (``control.scaling_policy``), else the fleet file's ``scaling``."""
        row = self.store.scaling_policies.get(self.environment, service)
        if row is not None:
            self.autoscaler.set_policy(service, target_tracking(self.fleet, self.environment, service, row))

    def _alarm_policy(self, service: str, policy: str, alarm: str) -> str:
        """Run ``service``'s simple scaling policy for ``alarm`` (its cooldown honoured)."""
        done = simple_scaling.execute(
            self.store, self, service, policy, honor_cooldown=True,
            trigger=f"a monitor alarm {alarm} in state ALARM triggered policy",
            desired=lambda name: self._state(name).desired,
        )  # fmt: skip
        return done.describe()

    def rolls_back_in_place(self, service: str) -> bool:
        """No: a deployment's rollback cancels a running local rollout and rolls the service
        to its last verified release, with the rollback's own settings (no bake, no alarms)."""
        return False

    def rollouts(self, limit: int = 50) -> list[RolloutView]:
        """Rollouts of this environment, newest first."""
        return [
            self.describe_rollout(row.rollout_id)
            for row in self.store.rollouts.list(self.environment, limit=limit)
        ]

    def wait_rollout(self, rollout_id: str, timeout: float) -> RolloutView:
        """Block until the rollout has ended (or ``timeout`` seconds passed); its view."""
        return self._rollouts.wait_rollout(rollout_id, timeout)

    # -- fleet ----------------------------------------------------------------------------------

    def current_versions(self) -> dict[str, str]:
        """Service -> the version its live instances run (the most common one while mixed,
        the desired one when it has none)."""
        out = {}
        for name in self.services:
            counts = Counter(i.version for i in self.provider.instances(name) if i.state in LIVE)
            out[name] = counts.most_common(1)[0][0] if counts else self._state(name).version
        return out

    def endpoint(self, service: str) -> str:
        """The URL of the service's load balancer."""
        return self.provider.endpoint(service)

    def status(self) -> FleetStatus:
        """Every service: desired state, instances, versions, health, load-balancer endpoint;
        every datastore's health."""
        # A read only: the first releases are verified by the runtime's own look (a viewer's
        # GET /fleet must not write), which `fleetops up` waits for.
        stores = tuple(
            DatastoreStatus(h.name, h.kind, h.healthy, h.detail, h.port, h.connections, h.size_bytes)
            for h in (self.datastores.health() if self.datastores is not None else ())
        )
        return replace(self.services_status(), datastores=stores)

    def services_status(self) -> FleetStatus:
        """``status`` without the datastores' health (a connection to each: a PostgreSQL backend
        started and a login, ~15 ms of CPU), for callers that read only services."""
        states = self.store.service_state.all(self.environment)
        running = self._rollouts.running_by_service()
        cpu = self.autoscaler.last_cpu
        services = []
        for name in self.services:
            spec = self._service(name)
            state = states.get(name)
            instances = tuple(
                InstanceStatus(
                    id=i.id,
                    version=i.version,
                    state=str(i.state),
                    health=str(i.health),
                    health_reason=i.health_reason,
                    port=i.port,
                    started_at=i.started_at,
                    cpu_percent=cpu.get(i.id),
                )
                for i in self.provider.instances(name)
            )
            services.append(
                ServiceStatus(
                    name=name,
                    endpoint=self.provider.endpoint(name),
                    version=state.version if state else self.initial_version,
                    release_number=state.release_number if state else 0,
                    desired=state.desired if state else spec.instances.desired,
                    min=spec.instances.min,
                    max=spec.instances.max,
                    instances=instances,
                    rollout=running.get(name),
                )
            )
        return FleetStatus(fleet=self.fleet.name, environment=self.environment, services=tuple(services))

    def _verify_initial(self) -> bool:
        """Look at the fleet, verifying initial releases now ready; whether some still wait."""
        return bool(verify_ready(self.store, self.environment, self.services_status()))

    def scale(self, service: str, desired: int, *, cause: str = OPERATOR_CAUSE) -> None:
        """Set the service's desired count (BadInput outside min..max; Refused during a rollout);
        ``cause``: why, as its scaling activity says."""
        self._check_service(self.environment, service)
        bounds = self._service(service).instances
        if not bounds.min <= desired <= bounds.max:
            raise BadInput(
                f"desired count {desired} for {service!r} is outside its instances min..max "
                f"({bounds.min}..{bounds.max})"
            )
        before = self._state(service).desired
        self.set_desired(service, desired)
        if before != desired:
            self.autoscaler.note_manual_change(service, before, desired, cause)

    def scaling_activities(self, service: str | None = None) -> list[ScalingActivity]:
        """Changes of desired counts since start (autoscaling and operators), newest first."""
        return [a for a in reversed(self.autoscaler.events) if service is None or a.service == service]

    def set_desired(self, service: str, desired: int) -> None:
        """Save and apply a desired count (no bounds check: the autoscaler has done it)."""
        with self._rollouts.lock:
            busy = self._rollouts.busy(service)
            if busy is not None:
                raise Refused(f"service {service!r} has rollout {busy!r} in progress; scale it afterwards")
            state = self.store.service_state.save(self.environment, service, desired=desired)
            self.provider.scale(service, desired, version=state.version)

    def rolling(self, service: str) -> bool:
        """Whether a rollout of ``service`` is running."""
        return self._rollouts.busy(service) is not None

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
        """The last ``limit`` log records of a service (or one instance) matching ``pattern``
        (a CloudWatch Logs filter pattern, see ``fleetops.ops.logfilter``) written from ``start``
        to ``end``, oldest first."""
        self._check_service(self.environment, service)
        if (pattern is None or not pattern.strip()) and start is None and end is None:
            return [dict(r) for r in self.provider.logs(service, instance_id=instance_id, limit=limit)]
        matches = compile_filter(pattern or "")
        window = in_window(start, end)
        records = self.provider.logs(service, instance_id=instance_id, limit=max(limit * 20, 2000))
        return [dict(record) for record in records if window(record) and matches(record)][-limit:]

    def query_logs(
        self,
        query: str,
        *,
        services: Sequence[str] | None,
        platform: bool,
        start: datetime | None,
        end: datetime | None,
    ) -> QueryResult:
        """Run a Logs Insights ``query`` over the logs of ``services`` (None: every service), and
        the load balancer's and supervisor's with ``platform`` (see ``control.log_queries``)."""
        names = list(self.fleet.services) if services is None else list(services)
        for name in names:
            self._check_service(self.environment, name)
        return query_logs(
            self.fleet,
            self.environment,
            self.provider,
            query,
            services=names,
            platform=platform,
            start=start,
            end=end,
        )

    def secret_values(self) -> frozenset[str]:
        """The current and previous values of the environment's secrets (what redaction removes)."""
        return frozenset(self._secret_values())

    # -- what a secret rotation acts on (``RotationTargets``) -----------------------------------

    def rotation_user(self, datastore: str) -> str:
        """See ``RotationTargets.rotation_user``."""
        return self._secret_targets.rotation_user(datastore)

    def set_login(self, datastore: str, user: str | None, password: str) -> None:
        """See ``RotationTargets.set_login``."""
        self._secret_targets.set_login(datastore, user, password)

    def try_login(self, datastore: str, user: str | None, password: str) -> None:
        """See ``RotationTargets.try_login``."""
        self._secret_targets.try_login(datastore, user, password)

    def revoke_login(self, datastore: str, user: str | None, password: str) -> None:
        """See ``RotationTargets.revoke_login``."""
        self._secret_targets.revoke_login(datastore, user, password)

    def loaded_secret_versions(self, service: str) -> dict[str, dict[str, str] | None]:
        """See ``RotationTargets.loaded_secret_versions``."""
        return self._secret_targets.loaded_secret_versions(service)

    # -- internals ------------------------------------------------------------------------------
    def _saved_desired(self, service: str) -> int | None:
        state = self.store.service_state.get(self.environment, service)
        return None if state is None else state.desired

    def _state(self, service: str) -> ServiceState:
        state = self.store.service_state.get(self.environment, service)
        if state is None:
            desired = self._service(service).instances.desired
            state = self.store.service_state.save(
                self.environment, service, version=self.initial_version, desired=desired
            )
        return state

    def _service(self, name: str) -> Service:
        return self.fleet.service(name, self.environment)

    def _dependencies(self) -> Mapping[str, list[str]]:
        return {name: list(self.fleet.services[name].depends_on) for name in self.fleet.services}

    def _check_service(self, environment: str, service: str) -> None:
        if environment != self.environment:
            raise BadInput(f"this control plane runs environment {self.environment!r}, not {environment!r}")
        if service not in self.services:
            known = ", ".join(self.services)
            raise BadInput(f"unknown service {service!r} in environment {environment!r} (known: {known})")
