"""The context object (``$$`` in JSONPath, ``$states.context`` in JSONata).

"The context object is an internal JSON structure that is available during an execution,
and contains information about your state machine and execution." (Step Functions guide)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


def iso_millis(moment: datetime) -> str:
    """``2024-01-01T00:00:00.000Z``: how AWS writes times in the context object."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class ExecutionInfo:
    """What an execution knows about itself; fixed when it starts."""

    execution_arn: str
    name: str
    state_machine_arn: str
    state_machine_name: str
    input: Any
    start_time: datetime
    role_arn: str
    redrive_count: int = 0

    @property
    def region(self) -> str:
        """The region part of the execution ARN."""
        return self.execution_arn.split(":")[3]

    def context(
        self,
        *,
        state_name: str,
        entered_time: datetime,
        retry_count: int | None = None,
        task_token: str | None = None,
        map_item: tuple[int, Any] | None = None,
    ) -> dict[str, Any]:
        """The context object as seen by state ``state_name`` (``retry_count`` None: not shown)."""
        state: dict[str, Any] = {"Name": state_name, "EnteredTime": iso_millis(entered_time)}
        if retry_count is not None:
            state["RetryCount"] = retry_count
        context: dict[str, Any] = {
            "Execution": {
                "Id": self.execution_arn,
                "Input": self.input,
                "StartTime": iso_millis(self.start_time),
                "Name": self.name,
                "RoleArn": self.role_arn,
                "RedriveCount": self.redrive_count,
            },
            "StateMachine": {"Id": self.state_machine_arn, "Name": self.state_machine_name},
            "State": state,
        }
        if task_token is not None:
            context["Task"] = {"Token": task_token}
        if map_item is not None:
            context["Map"] = {"Item": {"Index": map_item[0], "Value": map_item[1]}}
        return context
