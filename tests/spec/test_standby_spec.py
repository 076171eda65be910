"""Standby environments (``standby_for``): what a failover needs of the fleet file, checked
when it is loaded, each problem where it is written."""

from __future__ import annotations

import pytest

from fleetops.errors import BadInput
from fleetops.spec.loader import load_fleet_text

FLEET = """
name: shop
environments:
  dev: {provider: local}
  dr: {provider: local, standby_for: dev}
services:
  gateway:
    run: {command: "{python} gateway.py", port: 8080}
datastores:
  db: {kind: sqlite, connection: "sqlite:///db.sqlite", environments: [dev, dr]}
"""


def _problems(text: str) -> list[str]:
    with pytest.raises(BadInput) as caught:
        load_fleet_text(text)
    return caught.value.problems


def test_a_standby_with_its_primarys_ports_and_datastores_loads() -> None:
    fleet = load_fleet_text(FLEET)
    assert (fleet.environments["dr"].standby_for, fleet.environments["dev"].standby_for) == ("dev", None)


def test_a_standby_of_an_unknown_environment_is_refused() -> None:
    assert _problems(FLEET.replace("standby_for: dev", "standby_for: prod")) == [
        "fleet.yaml:5:38 environments.dr.standby_for: unknown environment 'prod' (known: dev)"
    ]


def test_a_standby_of_itself_or_of_a_standby_is_refused() -> None:
    text = FLEET.replace("standby_for: dev}", "standby_for: dr}\n  dr2: {provider: local, standby_for: dr}")
    text = text.replace("[dev, dr]", "[dev, dr, dr2]")
    assert _problems(text) == [
        "fleet.yaml:5:38 environments.dr.standby_for: an environment cannot stand by for itself",
        "fleet.yaml:6:39 environments.dr2.standby_for: 'dr' is itself a standby (for 'dr'): "
        "a standby's primary must not be one",
    ]


def test_a_standby_must_listen_on_its_primarys_pinned_ports() -> None:
    text = FLEET.replace("port: 8080}", "port: 8080}\n    overrides: {dr: {run: {port: 8180}}}")
    assert _problems(text) == [
        "fleet.yaml:9:34 services.gateway.overrides.dr.run.port: standby 'dr' must run gateway's load "
        "balancer where its primary 'dev' does (port 8080, not port 8180): clients keep that address "
        "through a failover"
    ]


def test_a_standby_must_have_its_primarys_datastores() -> None:
    assert _problems(FLEET.replace("[dev, dr]", "[dev]")) == [
        "fleet.yaml:10:71 datastores.db.environments: 'db' exists in 'dev' but not in its standby 'dr': "
        "a failover restores it there (add 'dr')"
    ]


def test_a_standby_runs_on_its_primarys_provider() -> None:
    text = FLEET.replace(
        "dr: {provider: local, standby_for: dev}", "dr: {provider: aws, region: eu-west-1, standby_for: dev}"
    )
    assert _problems(text)[0] == (
        "fleet.yaml:5:55 environments.dr.standby_for: a standby runs on its primary's provider: "
        "'dev' is local, 'dr' is aws"
    )


def test_standby_for_must_be_a_name() -> None:
    (problem,) = _problems(FLEET.replace("standby_for: dev", "standby_for: 1"))
    assert "environments.dr.standby_for" in problem
