"""Checks that span fields and sections of a fleet file: references, capacity, cycles.

They run on whatever parts of a file are valid on their own, so that a file with a type error in
one service still gets its unknown references and cycles reported in the same run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta

from fleetops.spec.graph import cycles, format_cycle
from fleetops.spec.models import RESERVED_ENV, AwsSettings, Environment, Service, env_var_name, url_env_name
from fleetops.spec.problems import Path, Problem
from fleetops.spec.resources import (
    Alarm,
    AlarmActionsSpec,
    CompositeAlarm,
    Datastore,
    EmailChannel,
    PagerDutyChannel,
    Secret,
)
from fleetops.spec.standby import check_standbys


@dataclass
class Parts:
    """The valid parts of a fleet file, and the names of every entry (valid or not)."""

    environments: Mapping[str, Environment] = field(default_factory=dict)
    services: Mapping[str, Service] = field(default_factory=dict)
    secrets: Mapping[str, Secret] = field(default_factory=dict)
    datastores: Mapping[str, Datastore] = field(default_factory=dict)
    alarms: Mapping[str, Alarm] = field(default_factory=dict)
    composite_alarms: Mapping[str, CompositeAlarm] = field(default_factory=dict)
    notifications: Mapping[str, object] = field(default_factory=dict)
    names: Mapping[str, set[str]] = field(default_factory=dict)

    def known(self, section: str) -> set[str]:
        """Names of the entries of ``section`` present in the file."""
        return set(self.names.get(section, set())) | set(getattr(self, section))


def check_parts(parts: Parts) -> list[Problem]:
    """Every cross-field problem among the valid parts of a fleet."""
    problems: list[Problem] = []
    problems += _check_environments(parts)
    problems += check_standbys(
        parts.environments, parts.services, parts.datastores, parts.known("environments")
    )
    for name, service in parts.services.items():
        problems += _check_service(name, service, parts)
    problems += _check_resources(parts)
    problems += _check_cycles(parts)
    problems += _check_alarms(parts)
    return problems


def _check_actions(where: Path, actions: AlarmActionsSpec, has_service: bool, parts: Parts) -> list[Problem]:
    problems: list[Problem] = []
    channels = parts.known("notifications")
    for i, channel in enumerate(actions.notify or []):
        if channel not in channels:
            problems.append(Problem((*where, "actions", "notify", i), _unknown("channel", channel, channels)))
    if actions.runbook is not None and not has_service:
        problems.append(
            Problem(
                (*where, "actions", "runbook"),
                f"{actions.runbook.value} acts on a service: give the alarm a service, or list it "
                "in services' deploy.alarms",
            )
        )
    return problems


def _check_alarms(parts: Parts) -> list[Problem]:
    problems: list[Problem] = []
    alarms = parts.known("alarms")
    composites = parts.known("composite_alarms")
    watched = {name for service in parts.services.values() for name in service.deploy.alarms}
    environments = parts.known("environments")
    for section, entries in (("alarms", parts.alarms), ("composite_alarms", parts.composite_alarms)):
        for name, entry in entries.items():
            for i, env in enumerate(entry.environments or []):
                if env not in environments:
                    problems.append(
                        Problem(
                            (section, name, "environments", i), _unknown("environment", env, environments)
                        )
                    )
    for name, alarm in parts.alarms.items():
        has_service = alarm.service is not None or name in watched
        problems += _check_actions(("alarms", name), alarm.actions, has_service, parts)
    both = alarms | composites
    for name in sorted(alarms & composites):
        problems.append(Problem(("composite_alarms", name), f"'{name}' is also the name of an alarm"))
    for name, composite in parts.composite_alarms.items():
        for reference in composite.references:
            if reference not in both:
                problems.append(
                    Problem(("composite_alarms", name, "rule"), _unknown("alarm", reference, both))
                )
        suppressor = composite.actions_suppressor
        if suppressor is not None and suppressor not in both:
            problems.append(
                Problem(("composite_alarms", name, "actions_suppressor"), _unknown("alarm", suppressor, both))
            )
        if composite.actions.runbook is not None:
            problems.append(
                Problem(
                    ("composite_alarms", name, "actions", "runbook"),
                    "a composite alarm has no service to act on: only notify",
                )
            )
        problems += _check_actions(("composite_alarms", name), composite.actions, True, parts)
    graph = {
        name: [r for r in composite.references if r in parts.composite_alarms]
        for name, composite in parts.composite_alarms.items()
    }
    for cycle in cycles(graph):
        problems.append(
            Problem(
                ("composite_alarms", cycle[0], "rule"),
                "composite alarms name each other in a cycle: " + " -> ".join(cycle),
            )
        )
    return problems


def _unknown(kind: str, value: str, known: set[str]) -> str:
    listed = ", ".join(sorted(known)) if known else "none defined"
    return f"unknown {kind} '{value}' (known: {listed})"


def _check_environments(parts: Parts) -> list[Problem]:
    problems: list[Problem] = []
    known = parts.known("environments")
    for name, env in parts.environments.items():
        source = env.promote_from
        if source is None:
            continue
        if source == name:
            problems.append(
                Problem(("environments", name, "promote_from"), "an environment cannot promote from itself")
            )
        elif source not in known:
            problems.append(
                Problem(("environments", name, "promote_from"), _unknown("environment", source, known))
            )
    chain = {name: [env.promote_from] for name, env in parts.environments.items() if env.promote_from}
    graph = {name: [s for s in chain.get(name, []) if s in parts.environments] for name in parts.environments}
    for cycle in cycles(graph):
        if len(cycle) > 2:
            problems.append(
                Problem(("environments", cycle[0], "promote_from"), f"promotion cycle: {format_cycle(cycle)}")
            )
    return problems


def _check_service(name: str, service: Service, parts: Parts) -> list[Problem]:
    base: Path = ("services", name)
    problems: list[Problem] = []
    services = parts.known("services")
    others = services - {name}
    for i, dep in enumerate(service.depends_on):
        if dep != name and dep not in services:
            listed = f"known: {', '.join(sorted(others))}" if others else "there are no other services"
            problems.append(Problem((*base, "depends_on", i), f"unknown service '{dep}' ({listed})"))
    secrets = parts.known("secrets")
    for i, secret in enumerate(service.secrets):
        if secret not in secrets:
            problems.append(Problem((*base, "secrets", i), _unknown("secret", secret, secrets)))
    datastores = parts.known("datastores")
    for i, store in enumerate(service.datastores):
        if store not in datastores:
            problems.append(Problem((*base, "datastores", i), _unknown("datastore", store, datastores)))
    alarms = parts.known("alarms")
    environments = parts.known("environments")
    for env_name in service.overrides:
        if env_name not in environments:
            problems.append(
                Problem((*base, "overrides", env_name), _unknown("environment", env_name, environments))
            )
        if service.overrides[env_name].run is not None and service.run is None:
            problems.append(
                Problem((*base, "overrides", env_name, "run"), "the service has no 'run' section to override")
            )

    problems += _check_env_names(base, service)

    # Each section is checked as written, then as each environment's override changes it,
    # reported where the override is written.
    problems += _check_sections(base, service, alarms)
    for env_name, override in service.overrides.items():
        effective = service.in_environment(env_name)
        where: Path = (*base, "overrides", env_name)
        for problem in _check_sections(where, effective, alarms):
            section = problem.path[len(where)]
            if getattr(override, str(section), None) is not None:
                # The effective section also reads the service's own fields.
                read = (problem.path, *problem.involves)
                also = tuple((*base, *path[len(where) :]) for path in read)
                problems.append(replace(problem, involves=problem.involves + also))
    for env_name, env in parts.environments.items():
        effective = service.in_environment(env_name)
        if isinstance(env, AwsSettings) and effective.aws is None:
            problems.append(
                Problem((*base, "aws"), f"environment '{env_name}' runs on aws: the service needs 'aws'")
            )
        if not isinstance(env, AwsSettings) and effective.run is None:
            problems.append(
                Problem((*base, "run"), f"environment '{env_name}' runs locally: the service needs 'run'")
            )
    return problems


def _check_env_names(base: Path, service: Service) -> list[Problem]:
    # These variables are set by the local provider; a service's own env must not hide them.
    reserved = dict.fromkeys(RESERVED_ENV, "is set by fleetops on every instance")
    reserved |= {env_var_name(s): f"holds secret '{s}'" for s in service.secrets}
    reserved |= {url_env_name(d): f"holds the URL of dependency '{d}'" for d in service.depends_on}
    reserved |= {url_env_name(d): f"holds the URL of datastore '{d}'" for d in service.datastores}
    places: list[tuple[Path, Mapping[str, str]]] = [((*base, "env"), service.env)]
    if service.run is not None:
        places.append(((*base, "run", "env"), service.run.env))
    places += [((*base, "versions", v, "env"), o.env) for v, o in service.versions.items()]
    places += [((*base, "overrides", e, "env"), o.env) for e, o in service.overrides.items() if o.env]
    return [
        Problem((*where, key), f"'{key}' is reserved: it {reserved[key]}", at_key=True)
        for where, env in places
        for key in env
        if key in reserved
    ]


def _check_sections(base: Path, service: Service, alarms: set[str]) -> list[Problem]:
    problems: list[Problem] = []
    inst = service.instances
    if not inst.min <= inst.desired <= inst.max:
        problems.append(
            Problem(
                (*base, "instances"),
                f"expected min <= desired <= max, got {inst.min}, {inst.desired}, {inst.max}",
                involves=tuple((*base, "instances", bound) for bound in ("min", "desired", "max")),
            )
        )
    health = service.health
    if health.interval <= timedelta(0):
        problems.append(Problem((*base, "health", "interval"), "interval must be longer than 0s"))
    elif not timedelta(0) < health.timeout < health.interval:
        problems.append(
            Problem(
                (*base, "health", "timeout"),
                "timeout must be longer than 0s and shorter than interval",
                involves=((*base, "health", "interval"),),
            )
        )
    deploy = service.deploy
    if deploy.effective_max_healthy_percent - deploy.min_healthy_percent > 100:
        problems.append(
            Problem(
                (*base, "deploy", "max_healthy_percent"),
                "max_healthy_percent - min_healthy_percent must be at most 100 (as in EC2 Auto Scaling)",
                involves=((*base, "deploy", "min_healthy_percent"),),
            )
        )
    for i, alarm in enumerate(deploy.alarms):
        if alarm not in alarms:
            problems.append(Problem((*base, "deploy", "alarms", i), _unknown("alarm", alarm, alarms)))
    if service.scaling is not None and inst.min == inst.max:
        problems.append(
            Problem(
                (*base, "scaling"),
                f"scaling needs room: instances min and max are both {inst.min}; raise max above min",
                involves=((*base, "instances", "min"), (*base, "instances", "max")),
            )
        )
    return problems


def _check_resources(parts: Parts) -> list[Problem]:
    problems: list[Problem] = []
    secrets = parts.known("secrets")
    environments = parts.known("environments")
    for name, store in parts.datastores.items():
        if store.password_secret and store.password_secret not in secrets:
            problems.append(
                Problem(
                    ("datastores", name, "password_secret"),
                    _unknown("secret", store.password_secret, secrets),
                )
            )
        for i, env_name in enumerate(store.environments or []):
            if env_name not in environments:
                problems.append(
                    Problem(
                        ("datastores", name, "environments", i),
                        _unknown("environment", env_name, environments),
                    )
                )
    services = parts.known("services")
    for name, alarm in parts.alarms.items():
        if alarm.service and alarm.service not in services:
            problems.append(
                Problem(("alarms", name, "service"), _unknown("service", alarm.service, services))
            )
    for name, channel in parts.notifications.items():
        if isinstance(channel, EmailChannel) and channel.smtp.password_secret not in (None, *secrets):
            problems.append(
                Problem(
                    ("notifications", name, "smtp", "password_secret"),
                    _unknown("secret", str(channel.smtp.password_secret), secrets),
                )
            )
        if isinstance(channel, PagerDutyChannel) and channel.routing_key_secret not in secrets:
            problems.append(
                Problem(
                    ("notifications", name, "routing_key_secret"),
                    _unknown("secret", channel.routing_key_secret, secrets),
                )
            )
    return problems


def _check_cycles(parts: Parts) -> list[Problem]:
    graph = {name: list(service.depends_on) for name, service in parts.services.items()}
    problems: list[Problem] = []
    for cycle in cycles(graph):
        first, second = cycle[0], cycle[1]
        index = parts.services[first].depends_on.index(second)
        problems.append(
            Problem(("services", first, "depends_on", index), f"dependency cycle: {format_cycle(cycle)}")
        )
    return problems
