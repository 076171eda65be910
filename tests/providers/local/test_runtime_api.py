from __future__ import annotations

import pytest

from fleetops.providers.local.runtime_api import RuntimeApiError, parse_show_stat

COLUMNS = (
    "pxname,svname,scur,stot,status,econ,eresp,wretr,wredis,lastchg,check_status,check_code,check_duration,"
    "hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,req_tot,rtime,ttime,check_health,check_rise,"
    "check_fall,addr"
)


def test_server_rows_are_parsed_and_frontend_and_backend_rows_skipped() -> None:
    text = "\n".join(
        [
            f"# {COLUMNS}",
            "fe_menu,FRONTEND,0,9,OPEN,,,,,,,,,0,9,0,0,0,0,9,,,,,,",
            "menu,menu-1,1,7,UP,0,0,1,1,12,L7OK,200,1,0,6,0,1,0,0,7,3,4,3,2,2,127.0.0.1:8001",
            "menu,menu-2,0,2,DOWN 1/2,2,0,0,0,3,* L4CON,,0,0,2,0,0,0,0,2,0,0,0,2,2,127.0.0.1:8002",
            "menu,BACKEND,1,9,UP,,,,,,,,,0,8,0,1,0,0,9,3,4,,,,",
            "",
        ]
    )

    up, down = parse_show_stat(text)

    assert (up.server, up.status, up.current_sessions, up.requests_total, up.hrsp_2xx, up.hrsp_4xx) == (
        "menu-1",
        "UP",
        1,
        7,
        6,
        1,
    )
    assert (up.check_status, up.check_code, up.avg_response_time_ms, up.retries, up.redispatches) == (
        "L7OK",
        200,
        3,
        1,
        1,
    )
    assert (down.status, down.check_status, down.check_code, down.connection_errors, down.address) == (
        "DOWN 1/2",
        "L4CON",
        None,
        2,
        "127.0.0.1:8002",
    )


def test_a_check_under_way_shows_the_last_status_and_no_code() -> None:
    # HAProxy resets the code to 0 when the next check starts; the last result's code is gone.
    text = "\n".join(
        [
            f"# {COLUMNS}",
            "menu,menu-1,0,7,DOWN,0,0,0,0,1,* L7STS,0,1,0,6,0,0,1,0,7,3,4,0,2,2,127.0.0.1:8001",
            "menu,menu-2,0,7,DOWN,0,0,0,0,1,L7STS,503,1,0,6,0,0,1,0,7,3,4,0,2,2,127.0.0.1:8002",
        ]
    )

    running, done = parse_show_stat(text)

    assert (running.check_status, running.check_code, running.check_running) == ("L7STS", None, True)
    assert (done.check_status, done.check_code, done.check_running) == ("L7STS", 503, False)


def test_output_without_the_header_is_an_error() -> None:
    with pytest.raises(RuntimeApiError, match="unexpected `show stat` output: 'Unknown command'"):
        parse_show_stat("Unknown command")
