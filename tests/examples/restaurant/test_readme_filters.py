"""The README's log filter examples match what the example services log (in process, their own
request log and error lines, filtered as `fleetops logs --filter` filters them)."""

from __future__ import annotations

import asyncio
import io
import json
import re
import socket
from pathlib import Path
from typing import Any

import httpx
import pytest

from fleetops.ops.logfilter import compile_filter

common = pytest.importorskip("common")
menu = pytest.importorskip("menu")
gateway = pytest.importorskip("gateway")
orders = pytest.importorskip("orders")

README = Path(__file__).parents[3] / "README.md"


def readme_filter_examples() -> list[str]:
    """The patterns the README gives after 'Log filters are CloudWatch Logs filter patterns'."""
    prose = " ".join(README.read_text().split())
    found = re.search(r"Log filters are CloudWatch Logs filter patterns.*?\):\s*(.*?`)\.(?:\s|$)", prose)
    assert found is not None, "the README no longer says what log filters are"
    return re.findall(r"`([^`]+)`", found.group(1))


def _records(
    module: Any, service: str, env: dict[str, str], *requests: tuple[str, str]
) -> list[dict[str, Any]]:
    stream = io.StringIO()
    full = {"PORT": "0", "VERSION": "v1", "FLEETOPS_INSTANCE_ID": f"{service}-1", **env}
    app = module.create_app(full, common.JsonLog(common.Settings.from_env(service, full), stream))

    async def run() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{service}") as client:
            for method, path in requests:
                await client.request(method, path)

    asyncio.run(run())
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.fixture(scope="module")
def logged() -> list[dict[str, Any]]:
    """What menu, gateway and orders log: health checks, injected 500s, an upstream failure."""
    with socket.socket() as closed:  # bound, not listening: connections are refused
        closed.bind(("127.0.0.1", 0))
        nowhere = f"http://127.0.0.1:{closed.getsockname()[1]}"
        failing = {"FAULT_ERROR_RATE": "1"}
        records = _records(menu, "menu", failing, ("GET", "/health"), ("GET", "/items"))
        records += _records(
            gateway,
            "gateway",
            {"AUTH_URL": nowhere, "MENU_URL": nowhere, "ORDERS_URL": nowhere},
            ("GET", "/api/menu"),
        )
        deps = {"MENU_URL": nowhere, "PAYMENTS_URL": nowhere, "NOTIFICATIONS_URL": nowhere}
        records += _records(
            orders, "orders", {**failing, **deps, "DATA_DIR": "/nonexistent"}, ("GET", "/orders")
        )
    return records


def _matched(pattern: str, records: list[dict[str, Any]]) -> list[tuple[str, str, object]]:
    matches = compile_filter(pattern)
    return [(r["service"], r["msg"], r.get("path")) for r in records if matches(r)]


def test_the_readme_gives_these_examples() -> None:
    assert readme_filter_examples() == [
        "error -health",
        '"upstream failed"',
        "?warning ?error",
        '{ $.path = "/orders*" && $.status >= 500 }',
    ]


def test_each_readme_example_matches_what_the_services_log(logged: list[dict[str, Any]]) -> None:
    found = {pattern: _matched(pattern, logged) for pattern in readme_filter_examples()}
    assert found == {
        "error -health": [
            ("menu", "request", "/items"),
            ("gateway", "upstream failed", None),
            ("gateway", "request", "/api/menu"),
            ("orders", "request", "/orders"),
        ],
        '"upstream failed"': [("gateway", "upstream failed", None)],
        "?warning ?error": [
            ("menu", "request", "/items"),
            ("gateway", "upstream failed", None),
            ("gateway", "request", "/api/menu"),
            ("orders", "request", "/orders"),
        ],
        '{ $.path = "/orders*" && $.status >= 500 }': [("orders", "request", "/orders")],
    }


def test_upper_case_levels_match_nothing_the_services_log(logged: list[dict[str, Any]]) -> None:
    # What the README said before: filter terms are case-sensitive, the services log lowercase.
    assert (_matched("ERROR -health", logged), _matched("?WARN ?ERROR", logged)) == ([], [])
