"""Each security check: a fixture that has the finding produces it, one that does not, nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fleetops.ops.security import (
    FileSeen,
    Finding,
    Listener,
    SecretSeen,
    SecurityAudit,
    Severity,
    TokenSeen,
    check_admin_tokens,
    check_audit_log,
    check_control_plane,
    check_exposed,
    check_fleet_values,
    check_rotation,
    check_state_files,
    check_tokens,
)
from fleetops.spec.fleet import Fleet
from fleetops.spec.loader import load_fleet
from fleetops.testing.fleet_files import fleet_document
from fleetops.testing.local import EXAMPLES

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def _token(name: str, *, role: str = "viewer", age: timedelta = 10 * DAY, used: timedelta | None = DAY,
           expires: timedelta | None = 30 * DAY) -> TokenSeen:  # fmt: skip
    return TokenSeen(
        name,
        role,
        NOW - age,
        None if used is None else NOW - used,
        None if expires is None else NOW + expires,
    )


def _kinds(findings: list[Finding]) -> list[tuple[str, str, str]]:
    return [(f.check, f.severity.value, f.subject) for f in findings]


def test_tokens_in_use_with_an_expiry_are_fine() -> None:
    assert check_tokens([_token("ci"), _token("new", age=timedelta(hours=2), used=None)], now=NOW) == []


@pytest.mark.parametrize(
    ("token", "detail"),
    [
        (_token("ci", used=None), "viewer token never used since its creation 240h00m ago"),
        (_token("ci", age=200 * DAY, used=90 * DAY), "viewer token unused for 90 days"),
        (_token("ci", expires=None), "viewer token never expires"),
        (_token("ci", expires=-DAY), "viewer token expired 24h00m ago and is still listed"),
    ],
)
def test_each_token_finding(token: TokenSeen, detail: str) -> None:
    assert [(f.subject, f.detail) for f in check_tokens([token], now=NOW)] == [("ci", detail)]


def test_more_than_two_admin_tokens() -> None:
    admins = [_token(n, role="admin") for n in ("a", "b")]
    assert check_admin_tokens([*admins, _token("old", role="admin", expires=-DAY)], now=NOW) == []
    found = check_admin_tokens([*admins, _token("c", role="admin")], now=NOW)
    assert [(f.severity, f.subject, f.detail) for f in found] == [
        (Severity.MEDIUM, "a, b, c", "3 admin tokens (at most 2 expected)")
    ]


def _fleet(**services: dict[str, Any]) -> Fleet:
    return Fleet.model_validate(fleet_document(services))


def test_the_example_fleet_has_no_secret_in_its_values() -> None:
    assert check_fleet_values(load_fleet(EXAMPLES / "fleet.yaml"), "fleet.yaml") == []


def test_secret_looking_values_are_found_without_showing_them() -> None:
    fleet = _fleet(
        orders={
            "env": {"DB_PASSWORD": "hunter2hunter2", "MODE": "fast"},
            "overrides": {"dev": {"env": {"UPSTREAM": "https://bob:s3cr3t@example.com/x"}}},
        },
        menu={"versions": {"v9": {"env": {"KEY_ID": "AKIAABCDEFGHIJKLMNOP"}}}},
    )
    found = check_fleet_values(fleet, "fleet.yaml")
    assert [(f.severity, f.subject, f.detail) for f in found] == [
        (Severity.HIGH, "fleet.yaml: services.menu.versions.v9.env.KEY_ID",
         "the value is written in the fleet file and looks like an AWS access key id"),
        (Severity.HIGH, "fleet.yaml: services.orders.env.DB_PASSWORD",
         "the value is written in the fleet file and looks like a secret, by its name"),
        (Severity.HIGH, "fleet.yaml: services.orders.overrides.dev.env.UPSTREAM",
         "the value is written in the fleet file and looks like a URL with a password"),
    ]  # fmt: skip
    assert not any(v in repr(found) for v in ("hunter2", "s3cr3t", "AKIAABCDEFGHIJKLMNOP"))


def test_a_secret_overdue_for_rotation() -> None:
    on_time = SecretSeen("db-password", 30 * DAY, NOW - 29 * DAY)
    never_set = SecretSeen("api-key", 30 * DAY, None)
    assert check_rotation([on_time, never_set], now=NOW) == []
    overdue = check_rotation([SecretSeen("db-password", 30 * DAY, NOW - 45 * DAY)], now=NOW)
    assert [(f.severity, f.subject, f.detail) for f in overdue] == [
        (Severity.HIGH, "db-password", "current value is 45 days old; the schedule rotates it every 30 days")
    ]


def test_state_files_others_may_read() -> None:
    files = [
        FileSeen(".fleetops/token", 0o600, sensitive=True),
        FileSeen(".fleetops/secrets.key", 0o640, sensitive=True),
        FileSeen(".fleetops/envs/dev/haproxy.cfg", 0o644, sensitive=False),
    ]
    assert _kinds(check_state_files(files)) == [
        ("file-modes", "high", ".fleetops/secrets.key"),
        ("file-modes", "medium", ".fleetops/envs/dev/haproxy.cfg"),
    ]
    assert check_state_files(files[:1]) == []


@pytest.mark.parametrize(("host", "open_"), [("127.0.0.1", False), ("::1", False), ("localhost", False),
                                             ("0.0.0.0", True), ("10.0.0.5", True)])  # fmt: skip
def test_the_control_plane_beyond_loopback_without_tls(host: str, open_: bool) -> None:
    assert bool(check_control_plane(host, tls=False)) is open_
    assert check_control_plane(host, tls=True) == []


def test_instances_listening_on_every_interface() -> None:
    listeners = [
        Listener("menu", "menu-1", "127.0.0.1:8081"),
        Listener("orders", "orders-1", "0.0.0.0:8082"),
        Listener("orders", "orders-2", "[::]:8083"),
    ]
    assert _kinds(check_exposed(listeners)) == [
        ("exposed-services", "high", "orders/orders-1"),
        ("exposed-services", "high", "orders/orders-2"),
    ]
    assert check_exposed(listeners[:1]) == []


def test_audit_log_gaps() -> None:
    assert check_audit_log(None, None, 0) == []
    assert check_audit_log(1, 10, 10) == []
    assert [f.detail for f in check_audit_log(1, 10, 7)] == ["3 entries missing between ids 1 and 10"]


def test_the_audit_sorts_by_severity_and_says_if_any_is_high() -> None:
    low = Finding("tokens", Severity.LOW, "a", "x", "y")
    high = Finding("file-modes", Severity.HIGH, "b", "x", "y")
    audit = SecurityAudit.of("dev", [low, high])
    assert (audit.findings, audit.high) == ((high, low), True)
    assert SecurityAudit.of("dev", [low]).to_json()["counts"] == {"high": 0, "medium": 0, "low": 1}
