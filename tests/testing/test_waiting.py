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
