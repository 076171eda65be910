"""Checks of standby environments (``standby_for: dev``): what an environment failover needs of
the file before it can bring the standby up in its primary's place.

A standby stands by for one primary, which is not a standby itself, on the same provider; it has
every datastore its primary has (a failover restores each one there), and its load balancers
listen on the ports its primary pins (``run.port``): those are the entry point clients are
given, and a failover moves them to the standby, as a DNS name moved to another region would.
"""

from __future__ import annotations

from collections.abc import Mapping

from fleetops.spec.models import Environment, Service
from fleetops.spec.problems import Path, Problem
from fleetops.spec.resources import Datastore


def pinned_port(service: Service, environment: str) -> int | None:
    """The load-balancer port ``service`` pins in ``environment`` (None: a free one)."""
    run = service.in_environment(environment).run
    return None if run is None else run.port


def check_standbys(
    environments: Mapping[str, Environment],
    services: Mapping[str, Service],
    datastores: Mapping[str, Datastore],
    known: set[str],
) -> list[Problem]:
    """Every problem of the ``standby_for`` fields (``known``: every environment's name, valid
    or not)."""
    problems: list[Problem] = []
    for name, env in environments.items():
        primary = env.standby_for
        if primary is None:
            continue
        where = ("environments", name, "standby_for")
        if primary == name:
            problems.append(Problem(where, "an environment cannot stand by for itself"))
            continue
        if primary not in known:
            listed = ", ".join(sorted(known - {name})) or "none defined"
            problems.append(Problem(where, f"unknown environment '{primary}' (known: {listed})"))
            continue
        source = environments.get(primary)
        if source is None:  # invalid itself: reported there
            continue
        if source.standby_for is not None:
            problems.append(
                Problem(
                    where,
                    f"'{primary}' is itself a standby (for '{source.standby_for}'): "
                    "a standby's primary must not be one",
                )
            )
            continue
        if source.provider != env.provider:
            problems.append(
                Problem(
                    where,
                    f"a standby runs on its primary's provider: '{primary}' is {source.provider}, "
                    f"'{name}' is {env.provider}",
                )
            )
        problems += _ports(name, primary, services)
        problems += _datastores(name, primary, datastores)
    return problems


def _ports(standby: str, primary: str, services: Mapping[str, Service]) -> list[Problem]:
    problems = []
    for service_name, service in services.items():
        wanted = pinned_port(service, primary)
        got = pinned_port(service, standby)
        if wanted == got:
            continue
        override = service.overrides.get(standby)
        if override is not None and override.run is not None and override.run.port is not None:
            where: Path = ("services", service_name, "overrides", standby, "run", "port")
        else:
            where = ("environments", standby, "standby_for")
        wanted_text = f"port {wanted}" if wanted is not None else "a free port (none pinned)"
        got_text = f"port {got}" if got is not None else "a free port"
        problems.append(
            Problem(
                where,
                f"standby '{standby}' must run {service_name}'s load balancer where its primary "
                f"'{primary}' does ({wanted_text}, not {got_text}): clients keep that address "
                "through a failover",
            )
        )
    return problems


def _datastores(standby: str, primary: str, datastores: Mapping[str, Datastore]) -> list[Problem]:
    problems = []
    for name, store in datastores.items():
        where = store.environments
        if where is None or primary not in where or standby in where:
            continue
        problems.append(
            Problem(
                ("datastores", name, "environments"),
                f"'{name}' exists in '{primary}' but not in its standby '{standby}': a failover "
                f"restores it there (add '{standby}')",
            )
        )
    return problems
