"""The text of a notification: one or several events as a Slack message and as an email."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from fleetops.ops.clock import span
from fleetops.ops.notify.events import DeploymentEvent, EventKind

_VERB = {
    EventKind.STARTED: "started",
    EventKind.SUCCEEDED: "succeeded",
    EventKind.FAILED: "failed",
    EventKind.ROLLED_BACK: "was rolled back",
    EventKind.ALARM: "went into ALARM",
    EventKind.OK: "is OK again",
    EventKind.ENDED: "ended",
    EventKind.POSTED: "posted",
    EventKind.COMPLETED: "completed",
    EventKind.VERIFY_FAILED: "failed its verification",
    EventKind.ROTATED: "rotated",
    EventKind.ROTATION_FAILED: "rotation failed",
    EventKind.OPENED: "opened",
    EventKind.UPDATED: "updated",
    EventKind.RESOLVED: "resolved",
    EventKind.TARGET_MISSED: "missed its targets",
}
_MARK = {
    EventKind.STARTED: ":rocket:",
    EventKind.SUCCEEDED: ":white_check_mark:",
    EventKind.FAILED: ":x:",
    EventKind.ROLLED_BACK: ":leftwards_arrow_with_hook:",
    EventKind.ALARM: ":rotating_light:",
    EventKind.OK: ":large_green_circle:",
    EventKind.ENDED: ":checkered_flag:",
    EventKind.POSTED: ":mega:",
    EventKind.COMPLETED: ":floppy_disk:",
    EventKind.VERIFY_FAILED: ":x:",
    EventKind.ROTATED: ":key:",
    EventKind.ROTATION_FAILED: ":x:",
    EventKind.OPENED: ":fire:",
    EventKind.UPDATED: ":memo:",
    EventKind.RESOLVED: ":white_check_mark:",
    EventKind.TARGET_MISSED: ":warning:",
}


@dataclass(frozen=True)
class Message:
    """A rendered notification: a subject line, plain text, and Slack Block Kit blocks."""

    subject: str
    text: str
    blocks: tuple[dict[str, Any], ...]

    def slack_payload(self) -> dict[str, Any]:
        """The JSON a Slack-compatible incoming webhook takes (``text`` is the fallback)."""
        return {"text": self.text, "blocks": list(self.blocks)}


def title(event: DeploymentEvent) -> str:
    """``prod: deploy failed after 3m05s (exec-1)``; an announcement: ``prod: CRITICAL: text``;
    with a subject: ``prod: incident opened: SEV1 #3 checkout is down``."""
    if event.kind is EventKind.POSTED:
        return f"{event.environment}: {event.severity.value.upper()}: {event.reason}"
    took = f" after {span(event.duration)}" if event.duration is not None else ""
    head = f"{event.environment}: {event.operation} {_VERB[event.kind]}{took}"
    return f"{head}: {event.subject}" if event.subject is not None else f"{head} ({event.execution_id})"


def details(event: DeploymentEvent) -> list[str]:
    """The lines under an event's title: versions, reason, time."""
    lines = []
    services = list(event.services) or list(event.versions)
    if services:
        lines.append(
            "services: "
            + ", ".join(f"{s} {event.versions[s]}" if s in event.versions else s for s in services)
        )
    if event.reason and event.kind is not EventKind.POSTED:
        lines.append(f"reason: {event.reason}")
    lines.extend(event.lines)
    lines.append(f"at: {event.at.astimezone(UTC).strftime('%Y-%m-%d %H:%M:%S')} UTC")
    return lines


def render(events: Sequence[DeploymentEvent]) -> Message:
    """One message for ``events`` (grouped: several events of one call become one message)."""
    if not events:
        raise ValueError("render needs at least one event")
    subject = (
        f"[fleetops] {title(events[0])}"
        if len(events) == 1
        else f"[fleetops] {len(events)} events: " + "; ".join(title(e) for e in events)
    )
    text_parts = []
    blocks: list[dict[str, Any]] = []
    for event in events:
        head = title(event)
        body = details(event)
        text_parts.append("\n".join([head, *(f"  {line}" for line in body)]))
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": f"{_MARK[event.kind]} *{head}*"}}
        )
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": line} for line in body]})
    return Message(subject=subject, text="\n".join(text_parts), blocks=tuple(blocks))
