"""LocalProvider: the fleet on this machine, each instance a process behind HAProxy.

Each instance gets env ``PORT``, ``VERSION``, ``FLEETOPS_INSTANCE_ID``, ``FLEETOPS_SERVICE``,
``FLEETOPS_DATA_DIR`` (``data/<service>/``: a folder the service's instances share and that
outlives them, like a network volume), the service's env and per-version env, its secrets,
``<DEP>_URL`` for each dependency, and only PATH/HOME/locale of the control plane's own env.

The environment's datastores (``datastores``: ``fleetops.providers.local.datastores``) start
before HAProxy and the instances and stop after them.

State lives under one directory (default ``.fleetops/``): ``haproxy.cfg``, ``haproxy.sock``,
``pids/`` (pid files, read at start-up to adopt what an earlier run left running, see
``start``), and ``logs/``: ``<service>/<instance>.jsonl`` per instance, ``haproxy/access.jsonl``
(one line per request), ``haproxy/haproxy.jsonl`` and ``supervisor.jsonl`` (lifecycle events).
A process writes its output to raw files beside its log (``<instance>.stdout.raw``…), which the
provider converts into the log (``output.py``) and deletes when the process has ended. An
instance may print a secret: what it prints passes through the provider's ``redactor``
(``fleetops.redaction``) as it is converted, before it reaches the log, and again when read back
(files written before); health reasons too. Files are created mode 0600 in 0700 folders.

    with LocalProvider(services, state_dir=Path(".fleetops")) as provider:
        first = provider.launch("menu", "v1")
        provider.wait_for(first.id, InstanceState.IN_SERVICE, timeout=10)
        httpx.get(provider.endpoint("menu") + "/items")
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Any

from fleetops.errors import BadInput, FleetopsError, OperationFailed
from fleetops.providers.base import (
    SECRET_VERSIONS_ENV,
    InstanceInfo,
    InstanceState,
    ProcessUsage,
    TargetStats,
)
from fleetops.providers.local.balancer import HAProxyBalancer
from fleetops.providers.local.datastores import LocalDatastores, Login
from fleetops.providers.local.haproxy import BindFailed, HAProxy
from fleetops.providers.local.logs import read_tail
from fleetops.providers.local.output import OutputTail, output_paths
from fleetops.providers.local.process import (
    JsonLinesFile,
    ManagedProcess,
    PidRecord,
    free_loopback_port,
    kill_group,
    kill_leftovers,
    port_free,
    process_start_time,
    process_usage,
    read_pid_file,
    read_ports,
    to_record_with,
    utc_now_iso,
    wait_gone,
    write_ports,
)
from fleetops.providers.local.service import ServiceRuntime, env_name
from fleetops.providers.local.supervisor import Instance, Supervisor
from fleetops.redaction import Redactor, secret_redactor

SecretResolver = Callable[[str], str]


@dataclass(frozen=True)
class SecretValue:
    """One version of a secret, as handed to an instance."""

    value: str = field(repr=False)
    version_id: str
    username: str | None = None
    """The login the value is the password of (alternating users); None: the datastore's own."""


VersionedSecrets = Callable[[str, "str | None"], SecretValue]
"""(secret, pinned version id or None) -> the version to hand out: the pinned one while it is
still valid, else AWSCURRENT."""
# What an instance inherits from the control plane's environment; nothing else (a server's own
# settings, such as its database URL, are not the services' business).
INHERITED_ENV = ("PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "VIRTUAL_ENV")


class LocalProvider:
    """The Provider for this machine (see ``fleetops.providers.base.Provider``)."""

    def __init__(
        self,
        services: Sequence[ServiceRuntime],
        *,
        state_dir: Path = Path(".fleetops"),
        secrets: SecretResolver | None = None,
        ports: Mapping[str, int] | None = None,
        tick: float = 0.2,
        python: str = sys.executable,
        redactor: Redactor | None = None,
        datastores: LocalDatastores | None = None,
        versioned_secrets: VersionedSecrets | None = None,
    ) -> None:
        """``secrets`` resolves a secret name to its current value (``versioned_secrets``, when
        given, instead: with versions, pinned by the launch's ``FLEETOPS_SECRET_VERSIONS``);
        ``ports`` pins frontend ports;
        ``redactor`` cleans what leaves an instance (default: URL passwords only); ``datastores``
        start before the instances and stop after them."""
        self.datastores = datastores
        problems = [
            f"service {s.name!r} depends on unknown service {dep!r}"
            for s in services
            for dep in s.depends_on
            if dep not in {other.name for other in services}
        ]
        if problems:
            raise BadInput("the local provider cannot wire these services", problems)
        self.services = {service.name: service for service in services}
        self.state_dir = state_dir.resolve()
        self._secrets = secrets
        self._versioned = versioned_secrets
        self.redactor = redactor or secret_redactor()
        self._python = python
        self._pinned = {name: port for name, port in (ports or {}).items() if port}
        # A service without a pinned port keeps the one it had in this state folder (a restarted
        # control plane keeps its endpoints), checked again at start: see ``start``.
        remembered = read_ports(self.ports_file)
        self.ports = {
            name: self._pinned.get(name) or remembered.get(name) or free_loopback_port()
            for name in self.services
        }
        self.haproxy = HAProxy(self.state_dir, services, self.ports)
        self._events: JsonLinesFile | None = None
        self.supervisor = Supervisor(
            self.services,
            HAProxyBalancer(self.haproxy, self.services, self._write_event),
            self._spawn,
            tick=tick,
            on_event=self._write_event,
        )
        self._started = False

    # -- lifecycle of the provider ----------------------------------------------------------

    def start(self) -> None:
        """Adopt what an earlier run in this folder left running and healthy, stop the rest,
        start HAProxy (unless adopted) and the supervisor. Idempotent.

        As an Auto Scaling group keeps its instances while its API is down, a restarted control
        plane keeps serving with the same processes: HAProxy is adopted when it is the process
        that run started (pid, start time, command line) with the config this one would write;
        an instance is adopted when it is that run's process of a service still in the fleet,
        and is then as HAProxy has it (``Supervisor.adopt``). Anything else named by a pid
        file is stopped; missing instances are launched by whoever scales the services."""
        if self._started:
            return
        self._events = JsonLinesFile(self.events_log)
        haproxy_adopted = self.haproxy.adopt()
        if not haproxy_adopted:
            leftover = read_pid_file(self.haproxy.pid_file)
            if leftover is not None and leftover.running():
                wait_gone(kill_group(leftover.pid), timeout=5.0)
            self.haproxy.pid_file.unlink(missing_ok=True)
            # A remembered port something else took meanwhile is given up for a free one.
            pinned = set(self._pinned.values())
            for name, port in self.ports.items():
                if name not in self._pinned and (port in pinned or not port_free(port)):
                    self.ports[name] = free_loopback_port()
            self.haproxy.ports = dict(self.ports)
        adopted, gone = self._adoptable_instances()
        adopted_pids = {process.pid_file for i in adopted if (process := i.process) and process.pid_file}
        if haproxy_adopted:
            adopted_pids.add(self.haproxy.pid_file)
        wait_gone(kill_leftovers(self.pid_dir, keep=adopted_pids), timeout=5.0)
        for instance in gone:
            self._convert_leftover_output(instance)
        write_ports(self.ports_file, self.ports)
        if self.datastores is not None:
            self.datastores.start()
            self._record_datastore_pids(self.datastores)
        if not haproxy_adopted:
            self._start_haproxy()
        rows = {(row.backend, row.server): row for row in self.haproxy.api.show_stat()}
        for instance in adopted:
            self.supervisor.adopt(
                instance, rows.get((instance.service, instance.id)) if haproxy_adopted else None
            )
        kept = {(i.service, i.id) for i in adopted}
        for service, server in rows:
            if (service, server) not in kept:  # a server whose process is gone
                self.supervisor.balancer.remove(service, server)
        self.supervisor.start()
        self._started = True

    def _start_haproxy(self, tries: int = 3) -> None:
        """Start HAProxy. A port picked free is only bound when HAProxy starts, and another
        process (another sandbox's server) may take it in between: such a port is given up for
        another free one, ``tries`` times at most. A pinned port someone holds stays refused."""
        for attempt in range(1, tries + 1):
            try:
                self.haproxy.start()
                return
            except BindFailed as err:
                if attempt == tries or err.services & self._pinned.keys():
                    # As HAProxy's other start errors: `up` reports a fleetops.errors one.
                    raise FleetopsError(err.message) from err
                taken = {name: self.ports[name] for name in sorted(err.services)}
                for name in err.services:
                    self.ports[name] = free_loopback_port()
                self._write_event({
                    "event": "frontend ports taken", "error": str(err), "taken": taken,
                    "now": {name: self.ports[name] for name in taken},
                })  # fmt: skip
                self.haproxy.ports = dict(self.ports)
                write_ports(self.ports_file, self.ports)

    def _adoptable_instances(self) -> tuple[list[Instance], list[Instance]]:
        """The instances named by pid files: those adopted (their processes taken over), and
        those that cannot be (gone, or not what the pid file says: a pid the kernel reused)."""
        adopted: list[Instance] = []
        gone: list[Instance] = []
        if not self.pid_dir.is_dir():
            return adopted, gone
        for pid_file in sorted(self.pid_dir.glob("*.pid")):
            record = read_pid_file(pid_file)
            if record is None or pid_file == self.haproxy.pid_file:
                continue
            instance = self._instance_of(record)
            if instance is None:
                continue
            if not record.adoptable() or instance.service not in self.services:
                gone.append(instance)
                continue
            instance.process = ManagedProcess.adopt(record, **self._process_logs(instance))
            adopted.append(instance)
        return adopted, gone

    def _convert_leftover_output(self, instance: Instance) -> None:
        # What it printed after the last control plane's last read is still in its raw files:
        # into its log (redacted), then the raw files go.
        logs = self._process_logs(instance)
        log = logs["log"]
        for stream, (raw, position) in output_paths(log.path).items():
            convert = partial(
                to_record_with, stream=stream, fields=logs["fields"], transform=self._redact_record
            )
            OutputTail(raw, position, convert, log.write, name=f"{instance.id}-{stream}").finish(remove=True)
        log.close()

    def _instance_of(self, record: PidRecord) -> Instance | None:
        meta = record.meta
        try:
            instance = Instance(
                id=str(meta["id"]),
                service=str(meta["service"]),
                version=str(meta["version"]),
                env={str(k): str(v) for k, v in dict(meta["env"]).items()},
                port=int(meta["port"]),
                started_at=datetime.fromisoformat(str(meta["started_at"])),
                started_mono=time.monotonic(),
                replaces=None if meta.get("replaces") is None else str(meta["replaces"]),
            )
        except (KeyError, TypeError, ValueError):
            return None
        # Oldest first, as the supervisor lists them: by how long ago it started.
        instance.started_mono -= (datetime.now(UTC) - instance.started_at).total_seconds()
        return instance

    def stop(self) -> None:
        """Stop every instance (no drain), then HAProxy; nothing started here is left running."""
        self.supervisor.stop()
        self.haproxy.stop()
        if self.datastores is not None:
            self.datastores.stop()
            for pid_file in self.pid_dir.glob("datastore-*.pid"):
                pid_file.unlink(missing_ok=True)
        if self._events is not None:
            self._events.close()
        self._started = False

    def _record_datastore_pids(self, datastores: LocalDatastores) -> None:
        # Datastore servers are daemons: a control plane killed outright leaves them running.
        # Their pid files (each server leads its own process group) let the next start, or
        # `fleetops down`, kill them as it kills instances left behind.
        self.pid_dir.mkdir(parents=True, exist_ok=True)
        for name, pid in datastores.pids().items():
            (self.pid_dir / f"datastore-{name}.pid").write_text(f"{pid} {process_start_time(pid) or 0}\n")

    def __enter__(self) -> LocalProvider:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def ports_file(self) -> Path:
        """The load-balancer port of each service, kept for the next start in this folder."""
        return self.state_dir / "ports.json"

    @property
    def pid_dir(self) -> Path:
        """Where pid files of running processes are kept."""
        return self.state_dir / "pids"

    # -- instances --------------------------------------------------------------------------

    def endpoint(self, service: str) -> str:
        """The URL of ``service``'s HAProxy frontend."""
        return f"http://127.0.0.1:{self.ports[service]}"

    def launch(self, service: str, version: str, *, env: Mapping[str, str] | None = None) -> InstanceInfo:
        """Start an instance of ``service`` at ``version``; ``env`` is added last (e.g. the
        secret versions a release pins). Returns at once, the instance Pending."""
        if not self._started:
            raise FleetopsError("the local provider is not started: call start() first")
        return self.supervisor.launch(service, version, env)

    def launch_env(self, instance_id: str) -> dict[str, str]:
        """The ``env`` the instance was launched with (a release's secret pins; never a value)."""
        return dict(self.supervisor.record(instance_id).env)

    def terminate(self, instance_id: str, *, drain: bool = True) -> InstanceInfo:
        """Drain (unless ``drain`` is false), remove from HAProxy, stop; not replaced."""
        return self.supervisor.terminate(instance_id, drain=drain)

    def deregister(self, instance_id: str) -> InstanceInfo:
        """Drain the instance out of HAProxy and keep it running until ``terminate``."""
        return self.supervisor.deregister(instance_id)

    def instances(
        self, service: str | None = None, *, include_terminated: bool = False
    ) -> list[InstanceInfo]:
        """Instances, oldest first."""
        return [self._clean(i) for i in self.supervisor.list(service, include_terminated=include_terminated)]

    def instance(self, instance_id: str) -> InstanceInfo:
        """One instance; KeyError if unknown."""
        return self._clean(self.supervisor.get(instance_id))

    def _clean(self, info: InstanceInfo) -> InstanceInfo:
        reason = self.redactor.text(info.health_reason)
        return info if reason == info.health_reason else replace(info, health_reason=reason)

    def suspend_replacement(self, service: str, suspended: bool = True) -> None:
        """Stop (or resume) replacing ``service``'s instances that exit or fail health."""
        self.supervisor.suspend_replacement(service, suspended)

    def scale(
        self, service: str, desired: int, *, version: str, env: Mapping[str, str] | None = None
    ) -> list[InstanceInfo]:
        """Launch or terminate (with drain) instances until ``desired`` are Pending or InService.

        New instances run ``version``; the ones terminated first are those at another version,
        then Pending ones, then the oldest (the Auto Scaling default termination order).
        Returns the instances launched or terminated.
        """
        if desired < 0:
            raise BadInput(f"desired count {desired} is negative")
        live = [
            i for i in self.instances(service) if i.state in (InstanceState.PENDING, InstanceState.IN_SERVICE)
        ]
        if len(live) < desired:
            return [self.launch(service, version, env=env) for _ in range(desired - len(live))]
        order = sorted(
            live,
            key=lambda i: (
                i.version == version,
                i.state is InstanceState.IN_SERVICE,
                -i.started_at.timestamp(),
            ),
        )
        return [self.terminate(i.id) for i in order[: len(live) - desired]]

    def wait_for(self, instance_id: str, *states: InstanceState, timeout: float) -> InstanceInfo:
        """Block until the instance is in one of ``states``; OperationFailed after ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            info = self.instance(instance_id)
            if info.state in states:
                return info
            if time.monotonic() > deadline:
                wanted = ", ".join(states)
                raise OperationFailed(
                    f"instance {instance_id} is {info.state} ({info.health}: {info.health_reason}),"
                    f" not {wanted}, after {timeout}s"
                )
            time.sleep(0.05)

    # -- observation ------------------------------------------------------------------------

    def target_stats(self, service: str) -> list[TargetStats]:
        """HAProxy's counters for ``service``'s registered instances."""
        return [
            TargetStats(
                service=row.backend,
                instance_id=row.server,
                status=row.status,
                current_sessions=row.current_sessions,
                total_sessions=row.total_sessions,
                requests_total=row.requests_total,
                responses_by_class={
                    "1xx": row.hrsp_1xx,
                    "2xx": row.hrsp_2xx,
                    "3xx": row.hrsp_3xx,
                    "4xx": row.hrsp_4xx,
                    "5xx": row.hrsp_5xx,
                    "other": row.hrsp_other,
                },
                connection_errors=row.connection_errors,
                response_errors=row.response_errors,
                retries=row.retries,
                redispatches=row.redispatches,
                avg_response_time_ms=row.avg_response_time_ms,
                avg_total_time_ms=row.avg_total_time_ms,
                check_status=row.check_status,
                check_code=row.check_code,
                check_duration_ms=row.check_duration_ms,
            )
            for row in self.haproxy.api.show_stat()
            if row.backend == service
        ]

    def usage(self, instance_id: str) -> ProcessUsage | None:
        """CPU time and memory of a running instance's process (None once it has ended)."""
        info = self.instance(instance_id)
        if info.pid is None or info.state is InstanceState.TERMINATED:
            return None
        return process_usage(info.pid)

    def log_path(self, service: str, instance_id: str) -> Path:
        """The JSON-lines log file of one instance."""
        return self.state_dir / "logs" / service / f"{instance_id}.jsonl"

    def log_files(self, service: str) -> list[Path]:
        """Every log file of ``service``'s instances, also of instances since terminated."""
        return sorted((self.state_dir / "logs" / service).glob("*.jsonl"))

    @property
    def events_log(self) -> Path:
        """Lifecycle events (launched, in service, draining, terminating, terminated,
        replacement scheduled), one JSON line each."""
        return self.state_dir / "logs" / "supervisor.jsonl"

    @property
    def access_log(self) -> Path:
        """HAProxy's access log: one JSON line per request, every service."""
        return self.haproxy.access_log

    def logs(self, service: str, *, instance_id: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """The last ``limit`` records of one instance, or of all a service's instances merged by
        timestamp, oldest first, redacted."""
        folder = self.state_dir / "logs" / service
        paths: Iterable[Path] = (
            [self.log_path(service, instance_id)] if instance_id else sorted(folder.glob("*.jsonl"))
        )
        records = [record for path in paths for record in read_tail(path, limit)]
        records.sort(key=lambda record: str(record.get("timestamp", "")))
        return [self.redactor.value(record) for record in records[-limit:]] if limit > 0 else []

    # -- internals --------------------------------------------------------------------------

    def _instance_env(self, instance: Instance) -> dict[str, str]:
        service = self.services[instance.service]
        env = {k: v for k, v in os.environ.items() if k in INHERITED_ENV or k.startswith("LC_")}
        env |= service.env
        env |= service.version_env.get(instance.version, {})
        handed = self._secret_values(service, instance.env)
        env |= {env_name(name): handed[name].value for name in service.secrets if name in handed}
        env |= instance.env
        if handed:
            env[SECRET_VERSIONS_ENV] = json.dumps(
                {name: value.version_id for name, value in sorted(handed.items()) if value.version_id}
            )
        env |= self._datastore_urls(service, handed)
        for dep in service.depends_on:
            env[f"{env_name(dep)}_URL"] = self.endpoint(dep)
        data_dir = self.state_dir / "data" / service.name
        data_dir.mkdir(parents=True, exist_ok=True)
        env |= {
            "FLEETOPS_DATA_DIR": str(data_dir),
            "PORT": str(instance.port),
            "VERSION": instance.version,
            "FLEETOPS_INSTANCE_ID": instance.id,
            "FLEETOPS_SERVICE": service.name,
        }
        return env

    def _secret_values(
        self, service: ServiceRuntime, launch_env: Mapping[str, str]
    ) -> dict[str, SecretValue]:
        """The secrets an instance gets (its own and its datastores' logins): the versions the
        launch pins while valid, else the current ones. A value the launch sets itself wins."""
        pins = _pins(launch_env.get(SECRET_VERSIONS_ENV))
        names = list(service.secrets)
        if self.datastores is not None:
            names += [
                guard
                for store in service.datastores
                if store in self.datastores.stores
                and (guard := self.datastores.stores[store].password_secret)
            ]
        out: dict[str, SecretValue] = {}
        for name in dict.fromkeys(names):
            if name in launch_env or env_name(name) in launch_env:
                continue
            if self._versioned is not None:
                out[name] = self._versioned(name, pins.get(name))
            elif self._secrets is not None:
                out[name] = SecretValue(self._secrets(name), "")
            else:
                raise BadInput(
                    f"service {service.name!r} uses secret {name!r} but no secret store is configured"
                )
        return out

    def _datastore_urls(self, service: ServiceRuntime, handed: Mapping[str, SecretValue]) -> dict[str, str]:
        """``<NAME>_URL`` of each datastore the service uses, with the login of its secret's
        version handed to this instance (the current login for one not linked to a secret)."""
        if self.datastores is None:
            return {}
        out = {}
        for name in service.datastores:
            store = self.datastores.stores.get(name)
            if store is None:
                continue
            given = handed.get(store.password_secret or "")
            login = None
            if given is not None:
                default = "default" if store.kind == "redis" else store.user
                login = Login(given.username or default, given.value)
            out[f"{env_name(name)}_URL"] = self.datastores.url(name, login)
        return out

    def _spawn(self, instance: Instance) -> ManagedProcess:
        service = self.services[instance.service]
        return ManagedProcess(
            service.argv(port=instance.port, version=instance.version, python=self._python),
            cwd=service.cwd,
            env=self._instance_env(instance),
            meta={
                "id": instance.id,
                "service": instance.service,
                "version": instance.version,
                "env": dict(instance.env),
                "port": instance.port,
                "started_at": instance.started_at.isoformat(),
                "replaces": instance.replaces,
            },
            **self._process_logs(instance),
        )

    def _process_logs(self, instance: Instance) -> dict[str, Any]:
        return {
            "log": JsonLinesFile(self.log_path(instance.service, instance.id)),
            "fields": {"service": instance.service, "instance": instance.id, "version": instance.version},
            "pid_file": self.pid_dir / f"{instance.id}.pid",
            # Redacted as converted: no reader of the log (a log query, a tail) ever sees a secret.
            "stdout_transform": self._redact_record,
            "stderr_transform": self._redact_record,
        }

    def _redact_record(self, record: dict[str, Any]) -> dict[str, Any]:
        clean: dict[str, Any] = self.redactor.value(record)
        return clean

    def _write_event(self, record: Mapping[str, Any]) -> None:
        if self._events is not None:
            self._events.write({"timestamp": utc_now_iso(), **record})


def _pins(text: str | None) -> dict[str, str]:
    """The secret versions a launch pins (``FLEETOPS_SECRET_VERSIONS``); none when unset or not
    an object of strings (then the current versions are handed out)."""
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    if not isinstance(value, dict):
        return {}
    return {str(k): v for k, v in value.items() if isinstance(v, str) and v}
