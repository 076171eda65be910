"""The error hierarchy shared by every layer, and the exit codes the CLI maps it to.

0 success; 1 the operation ran and failed; 2 bad input, nothing changed; 3 refused by the fleet's
state (lock held, maintenance on, service blocked); 4 not authorised (no token, an unknown one,
or a role below what the operation needs); 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes, the same for every command."""

    OK = 0
    FAILED = 1
    BAD_INPUT = 2
    REFUSED = 3
    NOT_AUTHORISED = 4
    INTERRUPTED = 130


class FleetopsError(Exception):
    """Base of every error fleetops reports to a user; carries its exit code."""

    exit_code: ExitCode = ExitCode.FAILED

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class OperationFailed(FleetopsError):
    """The operation ran and did not succeed (a deployment rolled back, a drill missed its RTO)."""

    exit_code = ExitCode.FAILED


class BadInput(FleetopsError):
    """The user's input is wrong; nothing was changed.

    ``problems`` holds every problem found, each a full sentence with its location, so all of
    them are reported at once.
    """

    exit_code = ExitCode.BAD_INPUT

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems if problems is not None else [message]


class Refused(FleetopsError):
    """The request was understood and refused by the fleet's state: a lock is held, maintenance
    is on, a service is blocked, the environment does not run here."""

    exit_code = ExitCode.REFUSED


class NotAuthorised(FleetopsError):
    """The caller may not do this: no token, an unknown or revoked one, or a role too low."""

    exit_code = ExitCode.NOT_AUTHORISED


class Forbidden(NotAuthorised):
    """This caller may not do this, whatever its role: an operator approving their own
    deployment (HTTP 403, exit 4)."""


class Interrupted(FleetopsError):
    """The user pressed Ctrl-C (exit 130, as a shell reports SIGINT); the message says what goes on."""

    exit_code = ExitCode.INTERRUPTED
