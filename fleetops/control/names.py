"""Step Functions names and ARNs, checked as AWS checks them; the errors carry AWS's codes."""

from __future__ import annotations

import json
import re
from typing import Any

from fleetops.errors import BadInput

# "A name must not contain: white space, brackets < > { } [ ], wildcard characters ? *, special
# characters " # % \ ^ | ~ ` $ & , ; : /, control characters" (StartExecution, CreateStateMachine).
_FORBIDDEN = re.compile(r"[\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]")
MAX_NAME = 80


class InvalidName(BadInput):
    """A resource name AWS would refuse."""

    aws_code = "InvalidName"


class InvalidArn(BadInput):
    """Not an ARN of the expected kind."""

    aws_code = "InvalidArn"


class InvalidExecutionInput(BadInput):
    """Execution input that is not JSON."""

    aws_code = "InvalidExecutionInput"


class InvalidOutput(BadInput):
    """Task output (SendTaskSuccess) that is not JSON."""

    aws_code = "InvalidOutput"


def check_name(name: str, what: str) -> str:
    """``name`` if AWS would accept it for ``what``; raises ``InvalidName``."""
    if not 1 <= len(name) <= MAX_NAME or _FORBIDDEN.search(name):
        raise InvalidName(
            f"Invalid Name: '{name}' ({what} names are 1 to {MAX_NAME} characters, without white "
            'space, brackets, wildcards, control characters or any of " # % \\ ^ | ~ ` $ & , ; : /)'
        )
    return name


def check_arn(arn: str, kind: str) -> str:
    """``arn`` if it is an ``arn:aws:states:...:<kind>:...`` ARN; raises ``InvalidArn``."""
    parts = arn.split(":")
    if len(parts) < 7 or parts[0] != "arn" or parts[2] != "states" or parts[5] != kind:
        raise InvalidArn(
            f"Invalid Arn: 'Resource type not valid in this context: {arn}' (expected a {kind} ARN)"
        )
    return arn


def parse_json(text: str | None, error: type[BadInput], what: str) -> Any:
    """The JSON value of ``text`` (``{}`` when absent); raises ``error`` for bad JSON."""
    if text is None:
        return {}
    try:
        return json.loads(text)
    except ValueError as err:
        raise error(f"Invalid {what}: {err}") from err
