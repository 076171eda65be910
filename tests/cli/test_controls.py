"""``fleetops releases``, ``lock``, ``maintenance``, ``block``/``unblock`` against a real server."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from fleetops.cli.timefmt import short_time
from fleetops.errors import Refused
from fleetops.ops.maintenance import check_deployable
from fleetops.store import Store
from fleetops.testing.server import RunningServer, run_cli


def _cli(server: RunningServer, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(list(args), cwd=server.state_dir.parent)


@pytest.fixture
def store(server: RunningServer) -> Iterator[Store]:
    # The server's own SQLite database, opened beside it as a deployment would.
    with Store.open(None, server.state_dir) as opened:
        yield opened


def test_releases_lists_what_was_pinned(server: RunningServer, store: Store) -> None:
    store.releases.pin(
        environment="dev",
        service="menu",
        version="v2",
        config={},
        secret_versions={},
        execution_id="exec-r",
        created_by="alice",
    )
    listed = _cli(server, "releases", "menu", "--env", "dev", "-o", "json")
    assert listed.returncode == 0, listed.stderr
    [release] = json.loads(listed.stdout)
    assert (release["service"], release["number"], release["version"], release["status"]) == (
        "menu",
        1,
        "v2",
        "pinned",
    )
    table = _cli(server, "releases", "menu")
    assert "menu" in table.stdout and "exec-r" in table.stdout


def test_lock_status_then_forced_release(server: RunningServer, store: Store) -> None:
    store.locks.acquire("stage", owner="exec-9", reason="deploy v4", lease=timedelta(minutes=10))
    shown = json.loads(_cli(server, "lock", "status", "--env", "stage", "-o", "json").stdout)
    assert [(lock["owner"], lock["reason"], lock["expired"]) for lock in shown] == [
        ("exec-9", "deploy v4", False)
    ]
    refused = _cli(server, "lock", "release", "--env", "stage")
    assert refused.returncode == 2
    assert refused.stderr.startswith("error: lock release needs --force")
    released = _cli(server, "lock", "release", "--force", "--env", "stage")
    assert (released.returncode, released.stdout) == (
        0,
        "released the lock of stage held by exec-9 (reason: deploy v4)\n",
    )
    assert _cli(server, "lock", "status", "--env", "stage").stdout == "environment 'stage' is not locked\n"


def test_lock_release_is_refused_to_an_operator(server: RunningServer, store: Store) -> None:
    store.locks.acquire("qa", owner="exec-1", reason="deploy", lease=timedelta(minutes=10))
    created = json.loads(
        _cli(server, "token", "create", "ops-cli", "--role", "operator", "-o", "json").stdout
    )
    result = run_cli(
        ["lock", "release", "--force", "--env", "qa"],
        cwd=server.state_dir.parent,
        env={"FLEETOPS_TOKEN": created["token"]},
    )
    assert (result.returncode, result.stderr) == (
        4,
        "error: token 'ops-cli' has role operator; this needs admin or above\n",
    )
    assert store.locks.get("qa") is not None


def test_maintenance_on_status_off(server: RunningServer) -> None:
    on = _cli(
        server, "maintenance", "on", "--env", "perf", "--for", "2h", "--reason", "db upgrade", "-o", "json"
    )
    assert on.returncode == 0, on.stderr
    window = json.loads(on.stdout)
    assert (window["environment"], window["reason"], window["started_by"]) == ("perf", "db upgrade", "admin")
    status = json.loads(_cli(server, "maintenance", "status", "--env", "perf", "-o", "json").stdout)
    assert [w["id"] for w in status] == [window["id"]]
    off = _cli(server, "maintenance", "off", "--env", "perf")
    assert (off.returncode, off.stdout) == (0, "maintenance off for perf\n")
    again = _cli(server, "maintenance", "off", "--env", "perf")
    assert again.stdout == "maintenance was not on for perf\n"


def test_maintenance_with_a_bad_duration_is_bad_input(server: RunningServer) -> None:
    result = _cli(server, "maintenance", "on", "--for", "soon")
    assert result.returncode == 2
    assert "expected a duration like 500ms, 30s, 5m, 2h or 30d, got 'soon'" in result.stderr


def test_block_then_deployment_is_refused_then_unblock(server: RunningServer, store: Store) -> None:
    blocked = _cli(server, "block", "payments", "--env", "uat", "--reason", "card outage")
    assert (blocked.returncode, blocked.stdout) == (0, "blocked payments in uat (by admin: card outage)\n")
    with pytest.raises(
        Refused, match=r"service 'payments' is blocked in 'uat' by admin since .* \(reason: card outage\)"
    ):
        check_deployable(store, "uat", ["payments", "menu"])
    unblocked = _cli(server, "unblock", "payments", "menu", "--env", "uat")
    assert unblocked.stdout == "unblocked payments in uat\nmenu was not blocked in uat\n"
    check_deployable(store, "uat", ["payments", "menu"])


def test_notifications_lists_deliveries(server: RunningServer, store: Store) -> None:
    store.notifications.claim(
        channel="ops-chat",
        event="deploy.started",
        event_key="deploy.started/dev/exec-n",
        environment="dev",
        execution_id="exec-n",
        window=timedelta(hours=1),
        now=datetime.now(UTC),
    )
    listed = json.loads(_cli(server, "notifications", "--execution", "exec-n", "-o", "json").stdout)
    assert [(d["channel"], d["status"], d["attempts"]) for d in listed] == [("ops-chat", "pending", 0)]


# Text from users and servers that rich would read as markup: a style, and a closing tag that
# closes nothing (rich raises MarkupError on it).
MARKUP = "[bold]db[/] upgrade [/]"


def test_a_reason_that_looks_like_markup_is_printed_as_written(server: RunningServer) -> None:
    blocked = _cli(server, "block", "orders", "--env", "markup", "--reason", MARKUP)

    assert (blocked.returncode, blocked.stdout) == (
        0,
        "blocked orders in markup (by admin: [bold]db[/] upgrade [/])\n",
    )


def test_a_table_shows_markup_in_its_cells_as_written(server: RunningServer, store: Store) -> None:
    store.locks.acquire("markup", owner="exec-[red]", reason=MARKUP, lease=timedelta(minutes=10))
    [lock] = json.loads(_cli(server, "lock", "status", "--env", "markup", "-o", "json").stdout)
    since, until = short_time(lock["acquired_at"]), short_time(lock["expires_at"])

    wide = {"COLUMNS": "100"}
    shown = run_cli(["lock", "status", "--env", "markup"], cwd=server.state_dir.parent, env=wide)

    assert (shown.returncode, shown.stdout.splitlines()) == (
        0,
        [
            "┏━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━┓",
            "┃ env    ┃ owner      ┃ reason                  ┃ since                ┃ lease until          ┃",
            "┡━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━┩",
            f"│ markup │ exec-[red] │ [bold]db[/] upgrade [/] │ {since} │ {until} │",
            "└────────┴────────────┴─────────────────────────┴──────────────────────┴──────────────────────┘",
        ],
    )


def test_a_released_lock_is_described_as_written(server: RunningServer, store: Store) -> None:
    store.locks.acquire("mk", owner="x-[red]", reason=MARKUP, lease=timedelta(minutes=10))

    released = _cli(server, "lock", "release", "--force", "--env", "mk")

    assert (released.returncode, released.stdout) == (
        0,
        "released the lock of mk held by x-[red] (reason: [bold]db[/] upgrade [/])\n",
    )


def test_a_path_given_as_an_environment_is_refused_with_exit_2(server: RunningServer) -> None:
    result = _cli(server, "maintenance", "off", "--env", "../../etc/passwd")
    assert result.returncode == 2
    assert "environment name '../../etc/passwd' is not valid" in result.stderr
