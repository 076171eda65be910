"""Following a long operation (``--wait``): live on a terminal, one plain line per change elsewhere.

On a terminal the progress is redrawn in place (rich). Anywhere else (a CI log, a pipe, a file)
nothing could be redrawn, so each change is printed once as a plain line and flushed at once:
the time, the execution, the service, its wave, the rollout's status, percentage, instances
left to update and reason. With ``--output json`` the lines go to stderr, so stdout stays the
one JSON document. Ctrl-C stops only the following: the operation goes on in the control plane,
and the message says how to follow it again or stop it (exit 130).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TextIO

from rich.console import Group, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

from fleetops.cli.output import OutputFormat, console
from fleetops.errors import Interrupted

POLL_SECONDS = 0.5
"""How often a followed command (``--wait``) asks again: the runbooks on local environments look
every second, and a 1 s poll here showed their end up to a second late."""


def line_stream(output: OutputFormat) -> TextIO:
    """Where progress lines go: stdout for people, stderr when stdout carries JSON."""
    return sys.stderr if output.document else sys.stdout


def say(text: str, output: OutputFormat) -> None:
    """Print one progress line, flushed (a CI log shows it at once)."""
    stream = line_stream(output)
    stream.write(f"{_now()} {text}\n")
    stream.flush()


def _now() -> str:
    return datetime.now(UTC).strftime("%H:%M:%SZ")


def live_on(output: OutputFormat) -> bool:
    """Whether progress is drawn live: on a terminal, for people."""
    return output is OutputFormat.TABLE and console.is_terminal


def execution_lines(progress: dict[str, Any]) -> dict[str, str]:
    """What a deployment's progress says now, one line per key (the execution, each service
    rollout, each rollback rollout): a line is printed again only when it changes."""
    name = progress["execution"]
    lines: dict[str, str] = {}
    for kind, rows in (("", progress.get("services") or []), ("rollback ", progress.get("rollback") or [])):
        for row in rows:
            where = f"wave {row['wave']}" if kind == "" and "wave" in row else "rollback"
            summary = rollout_summary(row.get("rollout"), row.get("status", ""), row.get("version"))
            lines[f"{kind}{row.get('service')}"] = f"{name}: {row.get('service')} ({where}) {summary}"
    for item in progress.get("skipped") or []:
        lines[f"skipped {item['service']}"] = f"{name}: {item['service']} is {item['reason']}"
    # The execution's own line last: its final state ends the output.
    lines[""] = f"{name}: {progress['status']}"
    if progress.get("waiting_for_approval"):
        lines[""] += f", waiting for approval: fleetops approve {name} (or --reject)"
    # How it failed is not a line here: the command's error says it once, when it ends.
    return lines


def step_lines(progress: dict[str, Any]) -> dict[str, str]:
    """A runbook's progress as lines, one per step and one for the whole (restore, drills)."""
    name = progress["execution"]
    lines = {
        step["state"]: f"{name}: {step['state']} {step['status']}" for step in progress.get("steps") or []
    }
    lines[""] = f"{name}: {progress['status']}"
    return lines


def step_table(progress: dict[str, Any]) -> Group:
    """A runbook's progress as a table of its steps, live on a terminal (restore, drills)."""
    colour = {"SUCCEEDED": "green", "RUNNING": "cyan"}.get(progress["status"], "red")
    head = Text.assemble((progress["execution"], "bold"), "  ", (progress["status"], colour))
    table = Table("step", "status", "since")
    for step in progress.get("steps") or []:
        table.add_row(step["state"], step["status"], step["at"])
    parts: list[Any] = [head, table]
    if progress.get("error"):
        parts.append(Text(f"{progress['error']}: {progress.get('cause') or ''}", "red"))
    return Group(*parts)


def rollout_summary(rollout: dict[str, Any] | None, status: str, version: object = None) -> str:
    """``v2 InProgress 50%, 1 to update: reason`` (a rollout not started yet: its status alone)."""
    to = f"{version} " if version else ""
    if not rollout:
        return f"{to}{status}"
    text = f"{to}{rollout['status']} {rollout['percentage_complete']}%"
    if rollout.get("instances_to_update"):
        text += f", {rollout['instances_to_update']} to update"
    if rollout.get("checkpoint") is not None:
        text += f", checkpoint {rollout['checkpoint']}"  # "50%", as the API says it
    if rollout.get("status_reason"):
        text += f": {rollout['status_reason']}"
    return text


class ChangePrinter:
    """Prints the lines of a state that changed since the last call (new keys included)."""

    def __init__(self, output: OutputFormat) -> None:
        self.output = output
        self.shown: dict[str, str] = {}

    def __call__(self, lines: dict[str, str]) -> None:
        for key, line in lines.items():
            if self.shown.get(key) != line:
                say(line, self.output)
                self.shown[key] = line


def poll_until(
    fetch: Callable[[], dict[str, Any]],
    done: Callable[[dict[str, Any]], bool],
    *,
    output: OutputFormat,
    lines: Callable[[dict[str, Any]], dict[str, str]],
    draw: Callable[[dict[str, Any]], RenderableType],
    interrupted: str,
    poll_seconds: float = POLL_SECONDS,
) -> dict[str, Any]:
    """Fetch until ``done``; live ``draw`` on a terminal, else each changed line of ``lines``.

    Ctrl-C raises ``Interrupted`` with the message ``interrupted`` (what goes on, how to follow).
    """
    state = fetch()
    with _interruptible(interrupted):
        if live_on(output):
            with Live(draw(state), console=console, refresh_per_second=4, transient=False) as live:
                while not done(state):
                    time.sleep(poll_seconds)
                    state = fetch()
                    live.update(draw(state))
            return state
        printer = ChangePrinter(output)
        printer(lines(state))
        while not done(state):
            time.sleep(poll_seconds)
            state = fetch()
            printer(lines(state))
        return state


@contextmanager
def _interruptible(message: str) -> Iterator[None]:
    try:
        yield
    except KeyboardInterrupt:
        raise Interrupted(message) from None


def following_hint(execution: str) -> str:
    """What an interrupted ``--wait`` on an execution says: it goes on, and how to follow or stop it."""
    return (
        f"stopped following; {execution} goes on in the control plane: follow it with "
        f"`fleetops executions describe {execution} --wait`, stop it with `fleetops stop {execution}`"
    )
