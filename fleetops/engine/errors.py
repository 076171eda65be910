"""Errors raised while a state machine runs, named exactly as AWS Step Functions names them.

"Errors are identified by case-sensitive strings, called error names. The States language
defines a set of built-in strings that name well-known errors, all beginning with the
States. prefix." (Amazon States Language specification, Errors)
"""

from __future__ import annotations

from enum import StrEnum

from fleetops.errors import BadInput


class StatesErrorName(StrEnum):
    """The built-in ``States.*`` error names."""

    ALL = "States.ALL"
    DATA_LIMIT_EXCEEDED = "States.DataLimitExceeded"
    EXCEED_TOLERATED_FAILURE_THRESHOLD = "States.ExceedToleratedFailureThreshold"
    HEARTBEAT_TIMEOUT = "States.HeartbeatTimeout"
    INTRINSIC_FAILURE = "States.IntrinsicFailure"
    ITEM_READER_FAILED = "States.ItemReaderFailed"
    NO_CHOICE_MATCHED = "States.NoChoiceMatched"
    PARAMETER_PATH_FAILURE = "States.ParameterPathFailure"
    PERMISSIONS = "States.Permissions"
    QUERY_EVALUATION_ERROR = "States.QueryEvaluationError"
    RESULT_PATH_MATCH_FAILURE = "States.ResultPathMatchFailure"
    RESULT_WRITER_FAILED = "States.ResultWriterFailed"
    RUNTIME = "States.Runtime"
    TASK_FAILED = "States.TaskFailed"
    TIMEOUT = "States.Timeout"
    BRANCH_FAILED = "States.BranchFailed"


class StatesError(Exception):
    """A runtime failure inside an execution: an error name and a cause, as AWS reports them.

    It is what Retry and Catch match on, and what a failed execution reports. ``error`` may be
    a built-in name or any string a task handler or Fail state chose; either may be None when
    AWS reports none (a Fail state without Error/Cause).
    """

    def __init__(self, error: str | None, cause: str | None = None) -> None:
        super().__init__(f"{error}: {cause}" if cause else str(error))
        self.error = error
        self.cause = cause


class ExecutionAlreadyExists(BadInput):
    """An execution of that name exists with a different input (or, in the store, at all).

    AWS answers StartExecution with it as a client error (HTTP 400): exit 2.
    """

    aws_code = "ExecutionAlreadyExists"


class DefinitionError(BadInput):
    """A state machine definition AWS would reject; ``problems`` lists every one found.

    Each problem names where it is (state name and JSON pointer) and what was expected. It is
    bad input: nothing ran, the CLI exits 2 and the API answers 400.
    """

    def __init__(self, problems: list[str], message: str | None = None) -> None:
        super().__init__("; ".join(problems) if message is None else message, problems)
