"""The example services' shared parts, in process (httpx's ASGI transport)."""

from __future__ import annotations

import asyncio
import io
import json

import httpx
import pytest

common = pytest.importorskip("common")
menu = pytest.importorskip("menu")

ENV = {"PORT": "0", "VERSION": "v3", "FLEETOPS_INSTANCE_ID": "menu-1", "FLEETOPS_SERVICE": "menu"}


@pytest.mark.parametrize(
    ("text", "seconds"), [("500ms", 0.5), ("5s", 5.0), ("2m", 120.0), ("1h", 3600.0), ("1.5", 1.5)]
)
def test_durations(text: str, seconds: float) -> None:
    assert common.parse_duration(text) == seconds


def test_a_bad_duration_names_the_expected_form() -> None:
    with pytest.raises(ValueError, match=r"'5 sec' is not a duration \(expected e.g. 500ms, 5s, 2m\)"):
        common.parse_duration("5 sec")


def test_an_error_rate_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ValueError, match=r"FAULT_ERROR_RATE=1\.5 is not between 0 and 1"):
        common.Settings.from_env("menu", {"FAULT_ERROR_RATE": "1.5"})


def _get(env: dict[str, str], stream: io.StringIO, *paths: str) -> list[httpx.Response]:
    """GET each path from the menu app built from ``env``, logging into ``stream``."""
    settings = common.Settings.from_env("menu", env)
    app = menu.create_app(env, common.JsonLog(settings, stream))

    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://menu") as client:
            return [await client.get(path) for path in paths]

    return asyncio.run(run())


def test_every_request_is_logged_as_one_json_line() -> None:
    stream = io.StringIO()
    _get(ENV, stream, "/items/2")

    (line,) = [json.loads(text) for text in stream.getvalue().splitlines()]
    assert set(line) == {"timestamp", "level", "msg", "method", "path", "status", "response_time_ms"} | {
        "service",
        "version",
        "instance",
    }
    assert (line["msg"], line["method"], line["path"], line["status"]) == ("request", "GET", "/items/2", 200)
    assert (line["version"], line["instance"], line["level"]) == ("v3", "menu-1", "info")


def test_health_reports_status_version_database_and_timestamp() -> None:
    (response,) = _get(ENV, io.StringIO(), "/health")

    body = response.json()
    assert response.status_code == 200
    assert (body["status"], body["version"], body["database"]) == ("ok", "v3", "none")
    assert body["timestamp"].endswith("Z")


def test_fail_health_after_makes_health_answer_503() -> None:
    (response,) = _get({**ENV, "FAULT_FAIL_HEALTH_AFTER": "0s"}, io.StringIO(), "/health")

    assert response.status_code == 503
    assert (response.json()["status"], response.json()["problems"]) == (
        "unhealthy",
        ["fault: FAULT_FAIL_HEALTH_AFTER"],
    )


def test_error_rate_answers_500_but_spares_health() -> None:
    responses = _get({**ENV, "FAULT_ERROR_RATE": "1"}, io.StringIO(), *["/items"] * 5, "/health")

    assert [r.status_code for r in responses] == [500] * 5 + [200]


def test_a_missing_dependency_url_is_named() -> None:
    gateway = pytest.importorskip("gateway")

    with pytest.raises(ValueError, match="AUTH_URL is not set: the URL of the auth service's load balancer"):
        gateway.create_app(ENV)
