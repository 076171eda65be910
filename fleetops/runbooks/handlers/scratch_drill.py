"""A datastore-loss drill in a scratch copy of the environment (``--scratch``): the copy is
brought up first, holding what the environment's datastores hold, and the drill destroys and
restores the copy's datastore; the environment's data is never touched, so no confirmation is
asked. The copy is discarded with the report (``handlers.drills``).

| resource | does |
|---|---|
| ``fleetops:drill-scratch-start`` | the copy up: versions, counts, secrets, data of the environment |
| ``fleetops:drill-scratch-check`` | one look: done once every service of the copy is healthy |
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fleetops.engine import TaskContext, TaskFailure
from fleetops.errors import BadInput
from fleetops.runbooks.deps import RunbookDeps
from fleetops.runbooks.ports import ScratchControl
from fleetops.spec.durations import format_duration
from fleetops.spec.fleet import Fleet
from fleetops.spec.models import AwsSettings

NOT_READY = "fleetops.ScratchNotReady"
READY_TIMEOUT = timedelta(minutes=10)
"""How long the copy may take to be healthy before the drill fails (nothing was destroyed yet)."""


def control(deps: RunbookDeps, environment: str) -> ScratchControl:
    """The scratch copy of ``environment`` (``BadInput`` where this world makes none)."""
    if deps.scratch_copies is None:
        raise BadInput("this control plane makes no scratch copies")
    return deps.scratch_copies(environment)


def in_scratch(deps: RunbookDeps, fleet: Fleet, plan: dict[str, Any]) -> dict[str, Any]:
    """A datastore-loss plan made to run in the environment's scratch copy."""
    environment = plan["environment"]
    if isinstance(fleet.environments[environment], AwsSettings):
        raise BadInput(
            f"environment {environment!r} is on aws: scratch copies are made of local environments only"
        )
    copy = control(deps, environment)
    name = copy.name
    if copy.running():
        raise BadInput(
            f"the scratch copy {name} of {environment!r} runs already (another scratch drill): wait for "
            "its end (fleetops drill list)"
        )
    if name in fleet.environments:
        raise BadInput(
            f"the scratch copy of {environment!r} would be named {name!r}, an environment of the fleet "
            "file: rename that one, or drill the environment itself"
        )
    destroy = plan["steps"][1].replace(f" in {environment} ", f" in the scratch copy {name} ")
    return {
        **plan,
        "scratch": name,
        "steps": [
            f"scratch copy {name} of {environment} brought up (the versions and counts it runs, its "
            f"secrets, its datastores' data copied); {environment}'s own data is not touched",
            plan["steps"][0] + f" (in {name})",
            destroy,
            *plan["steps"][2:],
            f"{name} discarded",
        ],
    }


def start(deps: RunbookDeps, plan: dict[str, Any], _context: TaskContext) -> dict[str, Any]:
    """The scratch copy up, with the environment's data."""
    control(deps, plan["environment"]).start(plan["execution"])
    return {"environment": plan["scratch"], "at": deps.clock.now().isoformat()}


def check(deps: RunbookDeps, payload: dict[str, Any], _context: TaskContext) -> dict[str, Any]:
    """One look: ``done`` once every service of the copy is healthy; ``fleetops.ScratchNotReady``
    after :data:`READY_TIMEOUT`."""
    plan = payload["plan"]
    waiting = control(deps, plan["environment"]).waiting_for()
    if waiting is None:
        return {"done": True}
    started = datetime.fromisoformat(str(payload["started_at"]).replace("Z", "+00:00"))
    if deps.clock.now() - started > READY_TIMEOUT:
        late = format_duration(READY_TIMEOUT)
        raise TaskFailure(
            NOT_READY, f"scratch copy {plan['scratch']} not healthy {late} after its start: {waiting}"
        )
    return {"done": False, "waiting": waiting}
