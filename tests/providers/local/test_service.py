from __future__ import annotations

from pathlib import Path

import pytest

from fleetops.providers.local.service import LocalHealthCheck, ServiceRuntime, env_name, matcher_codes


def test_argv_fills_the_placeholders() -> None:
    service = ServiceRuntime("menu", "{python} services/menu.py --port {port} --tag v-{version}", Path("."))

    assert service.argv(port=8081, version="v2", python="/usr/bin/python3") == [
        "/usr/bin/python3",
        "services/menu.py",
        "--port",
        "8081",
        "--tag",
        "v-v2",
    ]


def test_matcher_accepts_single_codes_lists_and_ranges() -> None:
    assert matcher_codes("200") == [200]
    assert matcher_codes("200,202") == [200, 202]
    assert matcher_codes("200-203, 301") == [200, 201, 202, 203, 301]


def test_a_bad_matcher_is_refused_with_the_expected_form() -> None:
    with pytest.raises(
        ValueError, match=r"health check matcher '2xx': expected codes like 200, 200,202 or 200-299"
    ):
        LocalHealthCheck(matcher="2xx")


def test_env_name_upper_cases_and_replaces_dashes() -> None:
    assert env_name("payments-api-key") == "PAYMENTS_API_KEY"
