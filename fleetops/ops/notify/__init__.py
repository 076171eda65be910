"""Notifications of deployment events: Slack-compatible webhooks and email, from the fleet file.

deliveries = notify(store, fleet.notifications, [DeploymentEvent(EventKind.FAILED, ...)])
"""

from fleetops.ops.notify.events import DeploymentEvent, EventKind
from fleetops.ops.notify.message import Message, render
from fleetops.ops.notify.send import DEFAULT_WINDOW, RetryPolicy, notify

__all__ = ["DEFAULT_WINDOW", "DeploymentEvent", "EventKind", "Message", "RetryPolicy", "notify", "render"]
