"""``Environments``: one runtime per running environment, picked by name or as the only one."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from fleetops.control.deployments import Deployments
from fleetops.control.environments import Environments, NoFleet
from fleetops.control.service import ExecutionService
from fleetops.errors import BadInput
from fleetops.runbooks.ports import FleetControl
from fleetops.spec.fleet import Fleet
from fleetops.spec.loader import load_fleet
from fleetops.store import Store
from fleetops.testing.fleet_runtime import InMemoryFleetRuntime, in_memory_environments
from fleetops.testing.local import EXAMPLES


@pytest.fixture(scope="module")
def fleet() -> Fleet:
    return load_fleet(EXAMPLES / "fleet.yaml")


def test_each_environment_has_its_own_runtime(fleet: Fleet) -> None:
    environments = in_memory_environments(fleet, "dev", "stage")
    assert environments.names() == ["dev", "stage"]
    assert environments.runtime_for("dev").environment == "dev"
    assert environments.runtime_for("stage").environment == "stage"
    assert environments.runtime_for("dev") is not environments.runtime_for("stage")


def test_the_only_running_environment_is_the_default(fleet: Fleet) -> None:
    environments = in_memory_environments(fleet, "stage")
    assert environments.pick(None).environment == "stage"


def test_with_several_running_one_must_be_named(fleet: Fleet) -> None:
    environments = in_memory_environments(fleet, "dev", "stage")
    with pytest.raises(BadInput) as raised:
        environments.pick(None)
    assert raised.value.message == (
        "this control plane runs environments dev, stage: name one (--env, or ?environment=)"
    )
    assert environments.pick("stage").environment == "stage"


def test_an_environment_not_running_is_refused_with_how_to_start_it(fleet: Fleet) -> None:
    environments = in_memory_environments(fleet, "dev")
    with pytest.raises(NoFleet) as raised:
        environments.runtime_for("stage")
    assert raised.value.exit_code == 3
    assert raised.value.message == (
        "environment 'stage' is not running on this control plane (it runs dev); "
        "start it with `fleetops up --env stage`"
    )


def test_an_aws_environment_not_running_is_refused_with_how_to_start_it(fleet: Fleet) -> None:
    with pytest.raises(NoFleet) as raised:
        in_memory_environments(fleet, "dev").runtime_for("prod")
    assert raised.value.message == (
        "environment 'prod' is not running on this control plane (it runs dev); "
        "start it with `fleetops up --env prod`"
    )


def test_an_unknown_environment_is_bad_input(fleet: Fleet) -> None:
    with pytest.raises(BadInput, match=r"unknown environment 'qa' \(the fleet has: dev, prod, stage\)"):
        in_memory_environments(fleet, "dev").runtime_for("qa")


def test_without_a_fleet_nothing_runs() -> None:
    with pytest.raises(NoFleet, match="this server runs no fleet"):
        Environments().pick(None)
    with pytest.raises(NoFleet, match="this server runs no fleet"):
        Environments().add("dev", "v1")


def test_add_starts_once_and_reads_the_fleet_file_again(fleet: Fleet) -> None:
    loads: list[str] = []

    def load() -> Fleet:
        loads.append("read")
        return fleet

    def opener(f: Fleet, env: str, version: str, _running: Sequence[FleetControl]) -> InMemoryFleetRuntime:
        return InMemoryFleetRuntime(f, env, initial_version=version)

    environments = Environments(fleet, opener=opener, load=load)
    runtime, started = environments.add("stage", "v7")
    again, started_again = environments.add("stage", "v1")
    assert (started, started_again, again is runtime, loads) == (True, False, True, ["read"])
    assert isinstance(runtime, InMemoryFleetRuntime) and runtime.running
    assert runtime.current_versions()["menu"] == "v7"


def test_a_fleet_file_read_again_reaches_only_the_environment_it_starts(fleet: Fleet) -> None:
    edited = fleet.model_copy(update={"name": "edited"})

    def opener(f: Fleet, env: str, version: str, _running: Sequence[FleetControl]) -> InMemoryFleetRuntime:
        return InMemoryFleetRuntime(f, env, initial_version=version)

    environments = Environments(fleet, opener=opener, load=lambda: edited)
    environments.open("dev", "v1")
    environments.start_all()
    environments.add("stage", "v1")
    names = [environments.runtime_for(env).fleet.name for env in ("dev", "stage")]
    assert (names, environments.fleet) == ([fleet.name, "edited"], edited)


def test_deployments_read_each_environment_s_fleet_from_its_runtime(fleet: Fleet, tmp_path: Path) -> None:
    # What a deployment's runbook handlers see (RunbookDeps.fleet is Deployments.fleet).
    edited = fleet.model_copy(update={"name": "edited"})

    def opener(f: Fleet, env: str, version: str, _running: Sequence[FleetControl]) -> InMemoryFleetRuntime:
        return InMemoryFleetRuntime(f, env, initial_version=version)

    environments = Environments(fleet, opener=opener, load=lambda: edited)
    environments.open("dev", "v1")
    environments.start_all()
    environments.add("stage", "v1")
    with Store.open(None, tmp_path) as store:
        deployments = Deployments(ExecutionService(store), store, environments)
        assert (deployments.fleet("dev").name, deployments.fleet("stage").name) == (fleet.name, "edited")


def test_a_fleet_file_read_for_a_start_that_fails_is_not_published(fleet: Fleet) -> None:
    class Broken(InMemoryFleetRuntime):
        def start(self) -> None:
            raise BadInput("port 8080 is taken")

    def opener(f: Fleet, env: str, version: str, _running: Sequence[FleetControl]) -> Broken:
        return Broken(f, env)

    environments = Environments(
        fleet, opener=opener, load=lambda: fleet.model_copy(update={"name": "edited"})
    )
    with pytest.raises(BadInput, match="port 8080 is taken"):
        environments.add("stage", "v1")
    assert environments.fleet is fleet


def test_the_opener_sees_the_runtimes_already_running(fleet: Fleet) -> None:
    seen: list[list[str]] = []

    def opener(f: Fleet, env: str, version: str, running: Sequence[FleetControl]) -> InMemoryFleetRuntime:
        seen.append([r.environment for r in running])
        return InMemoryFleetRuntime(f, env, initial_version=version)

    environments = Environments(fleet, opener=opener)
    environments.add("dev", "v1")
    environments.add("stage", "v1")
    assert seen == [[], ["dev"]]


def test_a_runtime_that_fails_to_start_is_stopped_and_not_served(fleet: Fleet) -> None:
    class Broken(InMemoryFleetRuntime):
        def start(self) -> None:
            self.running = True
            raise BadInput("port 8080 is taken")

    made: list[Broken] = []

    def opener(f: Fleet, env: str, version: str, _running: Sequence[FleetControl]) -> Broken:
        made.append(Broken(f, env))
        return made[-1]

    environments = Environments(fleet, opener=opener)
    with pytest.raises(BadInput, match="port 8080 is taken"):
        environments.add("stage", "v1")
    assert environments.names() == []
    assert made[0].running is False


def test_remove_stops_one_and_stop_all_the_rest(fleet: Fleet) -> None:
    environments = in_memory_environments(fleet, "dev", "stage")
    dev, stage = environments.runtime_for("dev"), environments.runtime_for("stage")
    assert isinstance(dev, InMemoryFleetRuntime) and isinstance(stage, InMemoryFleetRuntime)
    environments.remove("stage")
    assert (environments.names(), dev.running, stage.running) == (["dev"], True, False)
    environments.stop_all()
    assert (environments.names(), dev.running) == ([], False)


def test_an_aws_environment_starts_beside_a_local_one(fleet: Fleet) -> None:
    environments = in_memory_environments(fleet, "stage")
    environments.add("prod", "v1")
    assert environments.names() == ["stage", "prod"]


def test_only_environments_of_the_fleet_start(fleet: Fleet) -> None:
    environments = in_memory_environments(fleet)
    with pytest.raises(BadInput, match="unknown environment 'qa'"):
        environments.add("qa", "v1")
