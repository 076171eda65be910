"""Copies of the example fleet (``examples/restaurant``) in a scratch folder, run with ``fleetops up``.

    folder = copy_example(tmp / "env-01", environment="bench-01", instances=1)
    sandbox = Sandbox(folder / "fleet.yaml", "bench-01")
    sandbox.up()                      # fleetops up -f .../fleet.yaml --env bench-01
    with sandbox.client() as http:    # httpx client of its /api/v1, with its admin token
        http.get("/fleet")
    sandbox.down()                    # fleetops down: the server and every process it started

The copy leaves the repository untouched (its state and data live in the copy); its gateway's
fixed port is dropped, so copies run side by side and beside anything else on the machine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from fleetops.errors import BadInput, FleetopsError
from fleetops.server.settings import TOKEN_FILE, environment_state_dir, read_server_file

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "restaurant"
"""The example fleet, next to the package in a source checkout."""
API_PREFIX = "/api/v1"
_ISOLATING = ("FLEETOPS_URL", "FLEETOPS_TOKEN", "FLEETOPS_DATABASE_URL")


def copy_example(
    dest: Path,
    *,
    environment: str | None = None,
    instances: int | None = None,
    services: Sequence[str] = (),
    source: Path = EXAMPLE,
) -> Path:
    """Copy the example fleet to ``dest``; the copy's fleet file.

    ``environment``: add a local environment of that name. ``instances``: every service's
    desired (and min) count, within its max. ``services``: keep only these and what they
    depend on (default: all), and only the datastores they use. The fixed ports of the gateway
    are dropped.
    """
    if not (source / "fleet.yaml").is_file():
        raise FleetopsError(f"the example fleet is not at {source}: run this from a source checkout")
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns(".fleetops", "data", "__pycache__"))
    document: dict[str, Any] = yaml.safe_load((dest / "fleet.yaml").read_text())
    all_services: dict[str, Any] = document["services"]
    unknown = sorted(set(services) - set(all_services))
    if unknown:
        raise BadInput(f"unknown services {', '.join(unknown)} (the example has: {', '.join(all_services)})")
    kept = _with_dependencies(all_services, services) if services else set(all_services)
    document["services"] = {name: spec for name, spec in all_services.items() if name in kept}
    # An alarm on a service left out goes with it, and so does a composite alarm naming it.
    alarms: dict[str, Any] = document.get("alarms") or {}
    dropped = {name for name, alarm in alarms.items() if alarm.get("service") not in (None, *kept)}
    document["alarms"] = {name: alarm for name, alarm in alarms.items() if name not in dropped}
    if "composite_alarms" in document:
        document["composite_alarms"] = {
            name: composite
            for name, composite in (document["composite_alarms"] or {}).items()
            if not any(f"({alarm})" in str(composite.get("rule", "")) for alarm in dropped)
        }
    if services:
        # A datastore runs as a server of its own in each local environment: one that no kept
        # service uses would only add processes to the smaller fleet.
        used = _datastores_of(document["services"].values())
        document["datastores"] = {
            name: spec for name, spec in (document.get("datastores") or {}).items() if name in used
        }
    for spec in document["services"].values():
        spec.get("run", {}).pop("port", None)
        for override in (spec.get("overrides") or {}).values():
            override.pop("run", None)
        if instances is not None:
            counts = spec.setdefault("instances", {"min": 1, "desired": 1, "max": 1})
            counts["min"] = counts["desired"] = min(instances, counts.get("max", instances))
    if environment is not None:
        document["environments"][environment] = {"provider": "local"}
    path = dest / "fleet.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def _with_dependencies(services: dict[str, Any], chosen: Sequence[str]) -> set[str]:
    kept: set[str] = set()
    todo = list(chosen)
    while todo:
        name = todo.pop()
        if name not in kept:
            kept.add(name)
            todo.extend(services[name].get("depends_on", []))
    return kept


def _datastores_of(specs: Iterable[dict[str, Any]]) -> set[str]:
    return {store for spec in specs for store in spec.get("datastores") or []}


def fleetops_env() -> dict[str, str]:
    """This process's environment without the settings that would point fleetops elsewhere."""
    return {key: value for key, value in os.environ.items() if key not in _ISOLATING}


def fleetops_command(*args: str) -> list[str]:
    """``fleetops ARGS`` run by this interpreter."""
    return [sys.executable, "-m", "fleetops", *args]


@dataclass(frozen=True)
class Sandbox:
    """One copy of the fleet and the control plane ``fleetops up`` runs for it."""

    fleet_file: Path
    environment: str

    @property
    def state_dir(self) -> Path:
        """Where its control plane keeps its state (``.fleetops/`` beside the fleet file)."""
        return self.fleet_file.parent / ".fleetops"

    def up(self, *, timeout: float = 120.0) -> dict[str, Any]:
        """``fleetops up``; its JSON output. ``FleetopsError`` with its message when it fails."""
        args = ["up", "-f", str(self.fleet_file), "--env", self.environment, "--timeout", str(timeout)]
        done = self._run(*args, "-o", "json", timeout=timeout + 60)
        if done.returncode != 0:
            raise FleetopsError(f"fleetops up ({self.environment}) failed: {done.stderr.strip()}")
        answer: dict[str, Any] = json.loads(done.stdout)
        return answer

    def down(self, *, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        """``fleetops down``: stops the server and every process it started."""
        return self._run("down", "-f", str(self.fleet_file), "--timeout", str(timeout), timeout=timeout + 60)

    def pids(self) -> list[int]:
        """Processes the fleet runs now (instances, HAProxy, datastore servers), from its pid files."""
        pid_dir = environment_state_dir(self.state_dir, self.environment) / "pids"
        return [int(p.read_text().split()[0]) for p in pid_dir.glob("*.pid")]

    def client(self, *, timeout: float = 30.0) -> httpx.Client:
        """An HTTP client of its ``/api/v1`` with the admin token ``up`` wrote."""
        info = read_server_file(self.state_dir)
        if info is None:
            raise FleetopsError(f"no control plane runs for {self.fleet_file}: run `fleetops up` first")
        token = (self.state_dir / TOKEN_FILE).read_text().strip()
        return httpx.Client(
            base_url=str(info["url"]).rstrip("/") + API_PREFIX,
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
        )

    def _run(self, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            fleetops_command(*args),
            cwd=self.fleet_file.parent,
            env=fleetops_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
