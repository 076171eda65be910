"""Pacing: executions take turns with everything else on the event loop.

A Pass or Choice state never waits for anything, so a loop of them (or a Map over a large
array) would run without ever giving the event loop back: no request served, no history
written, memory growing. Every state transition therefore asks the :class:`Pacer` first.
Within one *turn* (the time between two of the pacer's own callbacks, which the loop runs
once per iteration while executions are busy) at most ``per_turn`` transitions go through
(fewer once ``slice_seconds`` have passed since the turn began),
and each execution at most its share of them: ``per_turn`` divided among the executions that
were busy in the turn before. A transition over the budget waits; waiting executions are
served round-robin at the next turn, one transition each in rotation, so a runaway execution
slows itself down and no other execution, request or timer waits behind it for more than a
turn.

Runs on the event loop of the executions it paces (the server's).
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict, deque

PER_TURN = 64
"""Transitions per loop turn, shared by all executions (a turn then costs about a millisecond)."""
SLICE_SECONDS = 0.005
"""A turn also ends once its transitions took this long (states whose expressions are costly)."""


class Pacer:
    """Grants state transitions, ``per_turn`` per loop turn, fairly between executions."""

    def __init__(self, per_turn: int = PER_TURN, *, slice_seconds: float = SLICE_SECONDS) -> None:
        if per_turn < 1:
            raise ValueError(f"per_turn must be at least 1, got {per_turn}")
        self.per_turn = per_turn
        self.slice_seconds = slice_seconds
        self._loop: asyncio.AbstractEventLoop | None = None
        self._reset()
        self.turns = 0
        """Turns in which some execution had to wait (for benchmarks and tests)."""

    def _reset(self) -> None:
        self._began = time.perf_counter()
        self._left = self.per_turn
        self._share = self.per_turn
        self._spent: dict[str, int] = {}
        # Executions waiting for a transition, in the order they are served next.
        self._waiting: OrderedDict[str, deque[asyncio.Future[None]]] = OrderedDict()
        self._armed = False

    async def transition(self, execution: str) -> None:
        """Return when ``execution`` may make its next state transition."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a new loop (tests run one per test): nothing carries over
            self._loop = loop
            self._reset()
        spent = self._spent.get(execution, 0)
        if (
            self._left > 0
            and spent < self._share
            and execution not in self._waiting
            and time.perf_counter() - self._began < self.slice_seconds
        ):
            self._left -= 1
            self._spent[execution] = spent + 1
            self._arm(loop)
            return
        granted: asyncio.Future[None] = loop.create_future()
        self._waiting.setdefault(execution, deque()).append(granted)
        self._arm(loop)
        await granted

    def _arm(self, loop: asyncio.AbstractEventLoop) -> None:
        if not self._armed:
            self._armed = True
            loop.call_soon(self._turn)

    def _turn(self) -> None:
        """A new turn: a fresh budget, split among the executions busy in the last one."""
        self._armed = False
        busy = len(self._spent.keys() | self._waiting.keys())
        self._share = max(1, self.per_turn // max(busy, 1))
        self._left = self.per_turn
        self._began = time.perf_counter()
        self._spent = {}
        if self._waiting:
            self.turns += 1
            self._grant()
        if self._spent and self._loop is not None:
            self._arm(self._loop)  # granted executions run now: count them in the next turn

    def _grant(self) -> None:
        # Round-robin, one transition at a time, until the budget or the waiters run out.
        while self._left > 0 and self._waiting:
            served = False
            for execution in list(self._waiting):
                queue = self._waiting[execution]
                while queue and queue[0].done():  # cancelled while waiting (a stop)
                    queue.popleft()
                if queue and self._left > 0 and self._spent.get(execution, 0) < self._share:
                    queue.popleft().set_result(None)
                    self._left -= 1
                    self._spent[execution] = self._spent.get(execution, 0) + 1
                    served = True
                if not queue:
                    del self._waiting[execution]
                else:
                    self._waiting.move_to_end(execution)  # the next turn starts with the next one
            if not served:
                break
