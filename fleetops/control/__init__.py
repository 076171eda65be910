"""The control plane's in-process services (no HTTP here: ``server/`` exposes them as routes).

The execution service: the one Engine of a server process, durable in the store, leased.

service = ExecutionService(store, registry)
await service.start()                       # resumes RUNNING executions nobody holds
machine = service.machines.ensure("deploy", definition)
record = service.start_execution(machine.arn, {"version": "v2"}, name="deploy-7")
result = await service.wait(record.arn)     # ExecutionResult: status, output, error, cause

The fleet runtime (``fleetops.control.fleet.FleetRuntime``): the provider of one (fleet,
environment) with its rollouts (``fleetops.control.rollout_runner``) and scaling; its types in
``fleetops.runbooks.ports``.
"""

from fleetops.control.handlers import HANDLERS_ENV, load_handlers
from fleetops.control.names import InvalidArn, InvalidExecutionInput, InvalidName
from fleetops.control.service import ExecutionService

__all__ = [
    "HANDLERS_ENV",
    "ExecutionService",
    "InvalidArn",
    "InvalidExecutionInput",
    "InvalidName",
    "load_handlers",
]
