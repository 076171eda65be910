"""What a control plane needs to run the built-in runbooks: their dependencies and handlers, and
what it reads of a running deploy (the version each service is asked for, the approval it waits
for, the error of a rejection), a restore's plan and a rotation's consumers.

Apart from the definitions (``fleetops.runbooks``) because these load the store: a command that
only reads definitions starts without it.
"""

from fleetops.runbooks.deps import RunbookDeps
from fleetops.runbooks.handlers import HANDLERS, register_handlers
from fleetops.runbooks.handlers.approval import REJECTED, pending_approval_token
from fleetops.runbooks.handlers.drills import SCENARIOS, drill_plan
from fleetops.runbooks.handlers.initialize import target_versions
from fleetops.runbooks.handlers.restore import restore_plan
from fleetops.runbooks.handlers.rotation import consumers

__all__ = [
    "HANDLERS",
    "REJECTED",
    "SCENARIOS",
    "RunbookDeps",
    "consumers",
    "drill_plan",
    "pending_approval_token",
    "register_handlers",
    "restore_plan",
    "target_versions",
]
