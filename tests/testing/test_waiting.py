"""Waiting for a condition: the value that satisfied it, or a failure that names it."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from fleetops.testing.waiting import wait_until, wait_until_async


def test_returns_the_first_truthy_value() -> None:
    answers = iter([None, 0, "", "ready"])

    assert wait_until(lambda: next(answers), interval=0) == "ready"


def test_fails_naming_what_it_waited_for_and_the_last_value() -> None:
    calls = itertools.count()

    with pytest.raises(AssertionError, match=r"^the drain's end not reached within 0.05s \(last: 0\)$"):
        wait_until(lambda: 0 * next(calls), timeout=0.05, interval=0.01, what="the drain's end")
    assert next(calls) > 1  # it asked again until the deadline


class _VirtualTime:
    """``time`` for ``fleetops.testing.waiting``: sleeps are recorded and move the clock."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds


def test_a_slow_condition_is_asked_again_after_as_long_as_it_took(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = _VirtualTime()
    monkeypatch.setattr("fleetops.testing.waiting.time", clock)
    answers = iter([None, None, "ready"])

    def slow() -> str | None:
        clock.now += 0.4  # a CLI process
        return next(answers)

    assert wait_until(slow, interval=0.05) == "ready"
    assert clock.sleeps == [0.4, 0.4]


def test_a_fast_condition_is_asked_again_after_the_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = _VirtualTime()
    monkeypatch.setattr("fleetops.testing.waiting.time", clock)
    answers = iter([None, None, "ready"])

    def fast() -> str | None:
        clock.now += 0.001
        return next(answers)

    assert wait_until(fast, interval=0.05) == "ready"
    assert clock.sleeps == [0.05, 0.05]


def test_the_async_form_waits_in_the_event_loop() -> None:
    state = {"done": False}

    async def scenario() -> bool:
        async def finish() -> None:
            await asyncio.sleep(0.02)
            state["done"] = True

        task = asyncio.create_task(finish())
        value = await wait_until_async(lambda: state["done"], what="the task")
        await task
        return value

    assert asyncio.run(scenario()) is True
