"""A copy of the example fleet for a test, its notifications delivered on this machine.

The example's channels name a Slack placeholder (``hooks.slack.example.invalid``) and an SMTP
server on 127.0.0.1:2525 that nothing runs: every deploy event of a copy run as written would
fail to be delivered, and the runbooks wait for each delivery and its retries (seconds per
event, minutes per test file). A copy delivers to ``NotificationSinks`` instead, a webhook
receiver and an SMTP server a test session starts once:

    with notification_sinks() as sinks:
        folder = copy_example(tmp_path / "restaurant", sinks)

:func:`quick_orders` takes the pauses out of orders' deployments (its 15 s bake, 3 s between
checkpoints) for a test that deploys it to prove something other than the bake;
:func:`single_instances` runs every local service on one instance, for a test whose behaviour
does not depend on how many a service runs (half the processes to start, check and replace).
"""

from __future__ import annotations

import shutil
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from fleetops.testing.local import EXAMPLES
from fleetops.testing.receivers import SmtpServer, WebhookReceiver, smtp_server, webhook_receiver

EXAMPLE_HOOK = "https://hooks.slack.example.invalid/services/T000/B000/XXXX"
EXAMPLE_SMTP = "smtp: {host: 127.0.0.1, port: 2525, starttls: false}"


@dataclass(frozen=True)
class NotificationSinks:
    """Where a copy of the example delivers its notifications."""

    webhook: WebhookReceiver
    smtp: SmtpServer


@contextmanager
def notification_sinks() -> Iterator[NotificationSinks]:
    """A webhook receiver answering 200 and an SMTP server, on free loopback ports."""
    with webhook_receiver() as hook, smtp_server() as smtp:
        yield NotificationSinks(hook, smtp)


def copy_example(folder: Path, sinks: NotificationSinks) -> Path:
    """Copy examples/restaurant to ``folder`` (not its state, data or caches), its channels
    delivering to ``sinks``; return ``folder``. The fleet file is otherwise as written."""
    _copy_tree(folder)
    fleet_file = folder / "fleet.yaml"
    text = fleet_file.read_text()
    if text.count(EXAMPLE_HOOK) != 1 or text.count(EXAMPLE_SMTP) != 1:
        raise AssertionError("the example's notification channels moved: update fleetops/testing/example.py")
    text = text.replace(EXAMPLE_HOOK, sinks.webhook.url).replace(
        EXAMPLE_SMTP, f"smtp: {{host: 127.0.0.1, port: {sinks.smtp.port}, starttls: false}}"
    )
    fleet_file.write_text(text)
    return folder


def copy_example_on_a_free_port(folder: Path) -> Path:
    """Copy examples/restaurant to ``folder`` (not its state, data or caches) with its gateway on
    a free port instead of 8080, which another fleet may hold; return ``folder``. The fleet file
    is otherwise as written (its channels deliver nowhere reachable: for measuring, not checking)."""
    _copy_tree(folder)
    fleet_file = folder / "fleet.yaml"
    fleet_file.write_text(fleet_file.read_text().replace("      port: 8080\n", ""))
    return folder


def _copy_tree(folder: Path) -> None:
    shutil.copytree(EXAMPLES, folder, ignore=shutil.ignore_patterns(".fleetops", "data", "__pycache__"))


ORDERS_PAUSES = ("      checkpoint_delay: 3s\n", "      bake_time: 15s\n")
"""orders' deploy settings in the example that make every deployment of it wait (18 s or more)."""


def quick_orders(text: str) -> str:
    """The example's fleet file text with orders' bake at 1 s and no pause between checkpoints
    (its other settings, and every other service's, as written)."""
    if any(text.count(line) != 1 for line in ORDERS_PAUSES):
        raise AssertionError("orders' deploy settings moved in the example: update quick_orders")
    delay, bake = ORDERS_PAUSES
    return text.replace(delay, "      checkpoint_delay: 0s\n").replace(bake, "      bake_time: 1s\n")


LOCAL_INSTANCES = "    instances: {min: 1, desired: 2, max: 3}\n"
"""The capacity of the example's services that run two instances locally (all but notifications)."""
ROLLING_ROOM = "      max_healthy_percent: 150\n"
"""The example's shared rolling settings' room above the desired count (``&fast-rolling``)."""
MERGED_ROLLING = "      <<: *fast-rolling\n"
"""How a service with deploy settings of its own takes the shared ones (orders, gateway)."""
SHARED_ROLLING = "    deploy: *fast-rolling\n"
"""How a service without deploy settings of its own takes the shared ones (auth, menu, payments)."""


def single_instances(text: str, *, keep: Collection[str] = ()) -> str:
    """The example's fleet file text with every local service on one instance (desired 1, as
    notifications runs), rolled with room for its replacement (max_healthy_percent 200, as
    notifications' is: 150% of one instance rounds down to one). The services in ``keep`` run
    and roll as written. prod's capacity stays as written."""
    if text.count(LOCAL_INSTANCES) != 5 or text.count(ROLLING_ROOM) != 1:
        raise AssertionError("the example's instances or rolling settings moved: update single_instances")
    lines: list[str] = []
    service = ""
    for line in text.splitlines(keepends=True):
        if line.startswith("  ") and not line.startswith("   ") and line.rstrip().endswith(":"):
            service = line.strip().removesuffix(":")
        if service in keep:
            if line == SHARED_ROLLING:  # the shared settings, its own copy as written
                lines += ["    deploy:\n", MERGED_ROLLING, ROLLING_ROOM]
                continue
            lines.append(line)
            if line == MERGED_ROLLING:
                lines.append(ROLLING_ROOM)  # its own, where the shared settings' changes
        elif line == LOCAL_INSTANCES:
            lines.append(line.replace("desired: 2", "desired: 1"))
        else:
            lines.append(line)
    single = "".join(lines)
    if single.count(ROLLING_ROOM) != 1 + len(keep):
        raise AssertionError(f"cannot keep {sorted(keep)} as written: update single_instances")
    return single.replace(ROLLING_ROOM, "      max_healthy_percent: 200\n", 1)
