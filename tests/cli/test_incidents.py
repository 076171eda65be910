"""``fleetops incident``: the CLI's entry point run in this process (a subprocess per command
costs seconds) against the control plane's API served on a free port (the routes and the
PagerDuty payload are tested in tests/server/routes/test_incidents.py): what it prints, and its
exit codes for a failed delivery, an unknown id and a resolved incident."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fleetops.cli import output
from fleetops.cli.main import main
from fleetops.server.auth import Role
from fleetops.spec.levels import Level
from fleetops.spec.loader import load_fleet
from fleetops.spec.resources import PagerDutyChannel, WebhookChannel
from fleetops.testing.api import api_harness
from fleetops.testing.fake_clock import FakeClock
from fleetops.testing.fleet_runtime import InMemoryFleetRuntime
from fleetops.testing.local import EXAMPLES
from fleetops.testing.receivers import WebhookReceiver, webhook_receiver
from fleetops.testing.sfn import serving

START = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str


@dataclass
class Served:
    url: str
    token: str
    folder: Path
    clock: FakeClock
    pager: WebhookReceiver


@pytest.fixture
def cli(
    served: Served, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., Ran]:
    """``fleetops ARGS`` through ``fleetops.cli.main.main``: exit code, stdout, stderr."""
    monkeypatch.setenv("FLEETOPS_URL", served.url)
    monkeypatch.setenv("FLEETOPS_TOKEN", served.token)
    monkeypatch.chdir(served.folder)
    # The consoles are made once, at the first import in this worker: a test that set COLUMNS
    # then made them wrap at its width. Piped, as this output is, they print whole lines.
    for console in (output.console, output.err_console):
        monkeypatch.setattr(console, "width", output.FULL_WIDTH)

    def run(*args: str) -> Ran:
        monkeypatch.setattr(sys, "argv", ["fleetops", *args])
        # One process, many commands: what the last one printed is not this one's.
        monkeypatch.setitem(output._printed, "document", False)
        with pytest.raises(SystemExit) as ended:
            main()
        said = capsys.readouterr()
        code = ended.value.code
        return Ran(code if isinstance(code, int) else 0 if code is None else 1, said.out, said.err)

    return run


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    fleet = load_fleet(EXAMPLES / "fleet.yaml")
    # chat refuses every message (HTTP 400, not retried): a SEV3's delivery fails.
    with webhook_receiver([202]) as pager, webhook_receiver([400]) as chat:
        channels = {
            "pager": PagerDutyChannel(
                type="pagerduty",
                routing_key_secret="pd-key",
                url=pager.url,
                levels=[Level.CRITICAL, Level.ERROR],
                events=["incident.*"],
            ),
            "chat": WebhookChannel(
                type="webhook", url=chat.url, levels=[Level.WARNING, Level.INFO], events=["incident.*"]
            ),
        }
        with api_harness(tmp_path_factory.mktemp("state")) as api:
            api.app.state.environments.put(
                InMemoryFleetRuntime(fleet.model_copy(update={"notifications": channels}), "dev")
            )
            api.app.state.secrets.put("dev", "pd-key", "R0123456789abcdef0123456789abcde", by="test")
            clock = FakeClock(START)
            api.app.state.clock = clock
            with serving(api.app) as url:
                yield Served(url, api.tokens[Role.OPERATOR], tmp_path_factory.mktemp("cli"), clock, pager)


def test_open_update_resolve_and_show_a_sev1(served: Served, cli: Callable[..., Ran]) -> None:
    opened = cli("incident", "open", "--severity", "sev1", "--title", "checkout is down", "--eta", "1h")
    assert (opened.returncode, opened.stdout) == (
        0,
        "incident 1 opened: SEV1 checkout is down (dev, investigating)\n  pager: sent\n",
    )
    served.clock.step(timedelta(minutes=5))
    updated = cli("incident", "update", "1", "--status", "identified", "-m", "payments v3 is failing")
    assert (updated.returncode, updated.stdout) == (0, "incident 1 updated: identified\n  pager: sent\n")
    served.clock.step(timedelta(minutes=37, seconds=30))
    resolved = cli("incident", "resolve", "1", "--summary", "rolled back to v2")
    assert (resolved.returncode, resolved.stdout) == (0, "incident 1 resolved after 42m30s\n  pager: sent\n")
    assert [body["event_action"] for body in served.pager.bodies[-3:]] == ["trigger", "trigger", "resolve"]

    shown = cli("incident", "show", "1")
    assert shown.stdout == (
        "incident 1: SEV1 checkout is down\n"
        "  environment  dev\n"
        "  status       resolved\n"
        "  opened       2026-11-22 09:00:00Z by operator\n"
        "  resolved     2026-11-22 09:42:30Z by operator (after 42m30s)\n"
        "timeline:\n"
        "  2026-11-22 09:00:00Z  investigating  operator: opened: checkout is down\n"
        "  2026-11-22 09:05:00Z  identified     operator: payments v3 is failing\n"
        "  2026-11-22 09:42:30Z  resolved       operator: rolled back to v2\n"
    )

    again = cli("incident", "resolve", "1", "--summary", "twice")
    assert (again.returncode, again.stderr) == (
        2,
        "error: incident 1 was resolved at 2026-11-22T09:42:30+00:00 by operator; nothing changed "
        "(open a new one)\n",
    )
    listed = cli("incident", "list", "--all", "-o", "json")
    assert [(i["id"], i["status"], i["time_to_resolve_seconds"]) for i in json.loads(listed.stdout)] == [
        (1, "resolved", 2550.0)
    ]


def test_a_failed_delivery_is_said_and_exits_1_with_the_incident_recorded(
    served: Served, cli: Callable[..., Ran]
) -> None:
    opened = cli("incident", "open", "-s", "SEV3", "-t", "menu is slow", "-o", "json")
    assert opened.returncode == 1
    incident = json.loads(opened.stdout)
    assert incident["deliveries"] == [
        {"channel": "chat", "status": "failed", "error": "webhook answered HTTP 400: no"}
    ]
    assert opened.stderr == (
        f"incident {incident['id']} is recorded, but its incident.opened notification was not "
        "delivered to chat\n"
    )
    listed = cli("incident", "list", "--no-headers")
    assert listed.stdout.split()[:4] == [str(incident["id"]), "dev", "SEV3", "investigating"]


def test_unknown_ids_and_bad_options_exit_2(served: Served, cli: Callable[..., Ran]) -> None:
    unknown = cli("incident", "update", "99", "-m", "hello")
    assert (unknown.returncode, unknown.stderr) == (2, "error: no incident 99\n")
    bad = cli("incident", "open", "--severity", "SEV5", "--title", "x")
    assert bad.returncode == 2
    assert "'SEV5' is not one of" in bad.stderr
    empty = cli("incident", "open", "--severity", "SEV2", "--title", "  ")
    assert (empty.returncode, empty.stderr) == (2, "error: --title is empty: say what happened\n")
