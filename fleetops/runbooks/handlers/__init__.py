"""The runbooks' task handlers (the seed's Lambda functions), bound to a :class:`RunbookDeps`.

| resource | module | does |
|---|---|---|
| ``fleetops:deploy-initialize`` | initialize | validate, refuse (maintenance, blocks), lock, pin, waves |
| ``fleetops:deploy-approval`` (``.waitForTaskToken``) | approval | approval gate |
| ``fleetops:deploy-service`` | rollouts | start a service's rollout |
| ``fleetops:deploy-check-health`` | rollouts | follow it: health and alarm gates, lock renewal |
| ``fleetops:deploy-rollback-plan`` | rollback | what the failed deployment touched, reversed |
| ``fleetops:rollback-service`` | rollouts | one look at returning a service to its target |
| ``fleetops:deploy-finalize`` / ``deploy-failed`` / ``deploy-abort`` | finish | releases, lock |
| ``fleetops:rollback-initialize`` / ``rollback-finalize`` | rollback, finish | the rollback runbook |
| ``fleetops:notify`` | notify | start, success, failure, rollback notifications |
| ``fleetops:restore-*`` | restore | the restore runbook: pause, snapshot, restore, verify, resume |
| ``fleetops:rotate-initialize/create/set/test/finish`` | rotation | the four steps of a rotation |
| ``fleetops:rotate-redeploy-*``, ``-check-pickup``, ``-revoke`` | rotation_rollout | the rest |
| ``fleetops:rotate-finalize`` / ``rotate-failed`` | rotation_rollout | the rotation's ends |
| ``fleetops:drill-*`` | drills | the drills: outage, recovery, RTO/RPO report |
| ``fleetops:drill-*`` of control-plane-crash | crash_drill | deployment, SIGKILL, restart, resume |
| ``fleetops:drill-*`` of environment-failover | failover_drill | primary stopped, standby up, restored |
| ``fleetops:drill-scratch-*`` | scratch_drill | datastore-loss's scratch copy of the environment |
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fleetops.engine import Registry, TaskContext
from fleetops.runbooks.deps import RunbookDeps
from fleetops.runbooks.handlers import (
    approval,
    crash_drill,
    drills,
    failover_drill,
    finish,
    initialize,
    notify,
    restore,
    rollback,
    rollouts,
    rotation,
    rotation_rollout,
    scratch_drill,
)
from fleetops.runbooks.handlers.common import as_task_failure

Bound = Callable[[RunbookDeps, Any, TaskContext], Any]

HANDLERS: dict[str, Bound] = {
    "fleetops:deploy-initialize": initialize.initialize,
    "fleetops:deploy-approval": approval.request_approval,
    "fleetops:deploy-service": rollouts.deploy_service,
    "fleetops:deploy-check-health": rollouts.check_health,
    "fleetops:deploy-rollback-plan": rollback.deploy_rollback_plan,
    "fleetops:rollback-service": rollouts.rollback_service,
    "fleetops:deploy-finalize": finish.finalize,
    "fleetops:deploy-failed": finish.deploy_failed,
    "fleetops:deploy-abort": finish.deploy_abort,
    "fleetops:rollback-initialize": rollback.rollback_initialize,
    "fleetops:rollback-finalize": finish.rollback_finalize,
    "fleetops:notify": notify.send,
    "fleetops:restore-initialize": restore.initialize,
    "fleetops:restore-pause": restore.pause,
    "fleetops:restore-snapshot": restore.snapshot,
    "fleetops:restore-apply": restore.apply,
    "fleetops:restore-verify": restore.verify,
    "fleetops:restore-resume": restore.resume,
    "fleetops:restore-fall-back": restore.fall_back,
    "fleetops:restore-finalize": restore.finalize,
    "fleetops:rotate-initialize": rotation.initialize,
    "fleetops:rotate-create": rotation.create_secret,
    "fleetops:rotate-set": rotation.set_secret,
    "fleetops:rotate-test": rotation.try_secret,
    "fleetops:rotate-finish": rotation.finish_secret,
    "fleetops:rotate-redeploy-plan": rotation_rollout.redeploy_plan,
    "fleetops:rotate-redeploy-service": rotation_rollout.redeploy_service,
    "fleetops:rotate-check-pickup": rotation_rollout.check_pickup,
    "fleetops:rotate-revoke": rotation_rollout.revoke,
    "fleetops:rotate-finalize": rotation_rollout.finalize,
    "fleetops:rotate-failed": rotation_rollout.failed,
    "fleetops:drill-initialize": drills.initialize,
    "fleetops:drill-start-client": drills.start_client,
    "fleetops:drill-destroy": drills.destroy,
    "fleetops:drill-start-restore": drills.start_restore,
    "fleetops:drill-check-restore": drills.check_restore,
    "fleetops:drill-kill": drills.kill,
    "fleetops:drill-check-healthy": drills.check_healthy,
    "fleetops:drill-measure": drills.measure,
    "fleetops:drill-failed": drills.failed,
    "fleetops:drill-start-watchdog": crash_drill.start_watchdog,
    "fleetops:drill-start-deployment": crash_drill.start_deployment,
    "fleetops:drill-check-rolling": crash_drill.check_rolling,
    "fleetops:drill-crash": crash_drill.crash,
    "fleetops:drill-check-deployment": crash_drill.check_deployment,
    "fleetops:drill-failover-start-client": failover_drill.start_client,
    "fleetops:drill-stop-primary": failover_drill.stop_primary,
    "fleetops:drill-start-standby": failover_drill.start_standby,
    "fleetops:drill-check-standby": failover_drill.check_standby,
    "fleetops:drill-scratch-start": scratch_drill.start,
    "fleetops:drill-scratch-check": scratch_drill.check,
}
"""Resource -> handler (before binding to the deps)."""


def _bind(function: Bound, deps: RunbookDeps) -> Callable[[Any, TaskContext], Any]:
    def handler(payload: Any, context: TaskContext) -> Any:
        with as_task_failure():
            return function(deps, payload, context)

    handler.__name__ = function.__name__
    handler.__doc__ = function.__doc__
    return handler


def register_handlers(registry: Registry, deps: RunbookDeps) -> None:
    """Register every runbook handler on ``registry``, bound to ``deps``."""
    for resource, function in HANDLERS.items():
        registry.register(resource, _bind(function, deps))
