"""The task tokens of Step Functions tasks waiting for a person, kept sealed by the control plane.

An ``aws-stepfunctions`` environment's approval gate is an Activity task left open by the
worker that ran its handler (``fleetops.runbooks.activities``); the worker hands the activity's
task token over with the run (``POST /tasks/run``, ``wait_for_token``) and this keeps it in the
store, sealed with the secrets key, so it outlives the worker and a restart of the control plane.
``fleetops approve`` / ``reject`` take it back to send SendTaskSuccess / SendTaskFailure.

A token is a bearer credential for its task (whoever holds it may complete it): it is sealed at
rest, bound to its execution's ARN, and never returned by the API, logged or written to a history.

Runs on any thread (the store is thread-safe; the cipher keeps no state).
"""

from __future__ import annotations

from dataclasses import dataclass

from fleetops.ops.secrets.cipher import Cipher
from fleetops.store import Store


@dataclass(frozen=True)
class Held:
    """A token taken out to be answered, and its sealed form (to release exactly that one)."""

    state: str
    token: str
    sealed: bytes


class HeldTaskTokens:
    """Holds, opens and releases the tokens of waiting Step Functions tasks."""

    def __init__(self, store: Store, cipher: Cipher) -> None:
        self._store = store
        self._cipher = cipher

    def hold(self, execution_arn: str, state: str, token: str) -> None:
        """Keep ``token``, the one ``execution_arn``'s ``state`` waits for now."""
        self._store.held_tokens.hold(execution_arn, state, self._cipher.seal(token, _context(execution_arn)))

    def held(self, execution_arn: str) -> Held | None:
        """The token ``execution_arn`` waits for, opened (None: none was handed over)."""
        row = self._store.held_tokens.get(execution_arn)
        if row is None:
            return None
        token = self._cipher.open(row.sealed_token, _context(execution_arn))
        return Held(row.state, token, row.sealed_token)

    def release(self, execution_arn: str, held: Held | None = None) -> None:
        """Forget ``execution_arn``'s token (only ``held``'s, when given: a gate retried meanwhile
        keeps its new token)."""
        self._store.held_tokens.release(execution_arn, sealed_token=None if held is None else held.sealed)


def _context(execution_arn: str) -> str:
    # The associated data: a sealed token copied onto another execution's row does not open.
    return f"task-token/{execution_arn}"
