"""The server's runtimes: one state folder per environment, pinned ports checked before start."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from fleetops.errors import BadInput
from fleetops.providers.local import LocalProvider
from fleetops.server.fleet import check_ports, open_fleet_runtime
from fleetops.spec.fleet import Fleet
from fleetops.spec.loader import load_fleet
from fleetops.store import Store
from fleetops.testing.fleet_files import fleet_document


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """SQLite only: nothing here depends on the database."""
    with Store.open(f"sqlite:///{tmp_path / 'fleetops.db'}", tmp_path) as opened:
        yield opened


def _fleet(folder: Path, menu: dict[str, object]) -> Fleet:
    document = fleet_document({"menu": menu})
    document["environments"] = {"dev": {"provider": "local"}, "stage": {"provider": "local"}}
    path = folder / "fleet.yaml"
    path.write_text(yaml.safe_dump(document))
    return load_fleet(path)


def test_each_environment_keeps_its_state_in_its_own_folder(tmp_path: Path, store: Store) -> None:
    fleet = _fleet(tmp_path, {})
    dev = open_fleet_runtime(fleet, "dev", state_dir=tmp_path / ".fleetops", store=store)
    stage = open_fleet_runtime(fleet, "stage", state_dir=tmp_path / ".fleetops", store=store, running=[dev])
    assert isinstance(dev.provider, LocalProvider) and isinstance(stage.provider, LocalProvider)
    assert dev.provider.state_dir == (tmp_path / ".fleetops" / "envs" / "dev").resolve()
    assert stage.provider.state_dir == (tmp_path / ".fleetops" / "envs" / "stage").resolve()


def test_a_port_pinned_by_a_running_environment_is_refused(tmp_path: Path, store: Store) -> None:
    fleet = _fleet(tmp_path, {"run": {"command": "{python} services/menu.py", "port": 18080}})
    dev = open_fleet_runtime(fleet, "dev", state_dir=tmp_path, store=store)
    with pytest.raises(BadInput) as raised:
        open_fleet_runtime(fleet, "stage", state_dir=tmp_path, store=store, running=[dev])
    assert raised.value.message == (
        "environment 'stage' cannot start: menu: port 18080 is already the load-balancer port of menu "
        "in environment 'dev'. Pin another port for this environment in the fleet file "
        "(services.menu.overrides.stage.run.port), or set it to null for a free one"
    )


def test_an_override_gives_the_second_environment_its_own_port(tmp_path: Path, store: Store) -> None:
    run = {"command": "{python} services/menu.py", "port": 18080}
    fleet = _fleet(tmp_path, {"run": run, "overrides": {"stage": {"run": {"port": 18180}}}})
    dev = open_fleet_runtime(fleet, "dev", state_dir=tmp_path, store=store)
    stage = open_fleet_runtime(fleet, "stage", state_dir=tmp_path, store=store, running=[dev])
    assert (dev.endpoint("menu"), stage.endpoint("menu")) == (
        "http://127.0.0.1:18080",
        "http://127.0.0.1:18180",
    )


def test_two_services_of_one_environment_cannot_share_a_port() -> None:
    with pytest.raises(BadInput) as raised:
        check_ports("dev", {"menu": 9000, "orders": 9000}, {})
    assert raised.value.problems == ["orders: port 9000 is also pinned for menu"]


def test_a_datastores_url_reaches_its_services_and_its_password_is_redacted(
    tmp_path: Path, store: Store
) -> None:
    document = fleet_document({"menu": {"datastores": ["menu-db"]}})
    document["datastores"] = {
        "menu-db": {"kind": "postgres", "connection": "postgresql://chef@localhost/menu"}
    }
    (tmp_path / "fleet.yaml").write_text(yaml.safe_dump(document))
    runtime = open_fleet_runtime(load_fleet(tmp_path / "fleet.yaml"), "dev", state_dir=tmp_path, store=store)
    assert isinstance(runtime.provider, LocalProvider) and runtime.datastores is not None
    password = runtime.datastores.password("menu-db")
    port = runtime.datastores.ports["menu-db"]
    url = f"postgresql://chef:{password}@127.0.0.1:{port}/menu"
    assert runtime.provider.services["menu"].env["MENU_DB_URL"] == url
    assert password in runtime.secret_values()
    assert runtime.provider.redactor.text(f"connecting with {password}") == "connecting with ***"


def _fleet_with_secrets(folder: Path) -> Fleet:
    document = fleet_document({"menu": {"secrets": ["api-key"]}})
    document["environments"] = {"dev": {"provider": "local"}}
    document["secrets"] = {"api-key": {}, "signing-key": {"length": 64}}
    path = folder / "fleet.yaml"
    path.write_text(yaml.safe_dump(document))
    return load_fleet(path)


def test_opening_an_environment_gives_each_declared_secret_a_first_version(
    tmp_path: Path, store: Store
) -> None:
    open_fleet_runtime(_fleet_with_secrets(tmp_path), "dev", state_dir=tmp_path / ".fleetops", store=store)
    versions = {name: store.secrets.versions("dev", name) for name in ("api-key", "signing-key")}
    assert {name: [(v.number, v.stages, v.source) for v in found] for name, found in versions.items()} == {
        "api-key": [(1, ("AWSCURRENT",), "generated")],
        "signing-key": [(1, ("AWSCURRENT",), "generated")],
    }


def test_a_sandbox_keeps_the_values_of_its_old_secrets_file(tmp_path: Path, store: Store) -> None:
    folder = tmp_path / ".fleetops" / "envs" / "dev"
    folder.mkdir(parents=True)
    (folder / "secrets.json").write_text('{"api-key": "kept-from-before-1234"}')
    runtime = open_fleet_runtime(
        _fleet_with_secrets(tmp_path), "dev", state_dir=tmp_path / ".fleetops", store=store
    )
    again = open_fleet_runtime(
        _fleet_with_secrets(tmp_path), "dev", state_dir=tmp_path / ".fleetops", store=store
    )
    assert [(v.number, v.source) for v in store.secrets.versions("dev", "api-key")] == [(1, "imported")]
    assert (folder / "secrets.json").exists() is False
    assert (
        "kept-from-before-1234" in runtime.secret_values()
        and "kept-from-before-1234" in again.secret_values()
    )
