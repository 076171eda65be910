from __future__ import annotations

import http.server
import json
import os
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fleetops.errors import FleetopsError
from fleetops.providers.local.haproxy import HAProxy, render_config
from fleetops.providers.local.port_holder import PortHolder
from fleetops.providers.local.process import free_loopback_port
from fleetops.providers.local.runtime_api import RuntimeApiError, StatRow
from fleetops.providers.local.service import LocalHealthCheck, ServiceRuntime
from fleetops.testing.waiting import wait_until

pytestmark = pytest.mark.haproxy

MENU = ServiceRuntime("menu", "unused", Path("."), health=LocalHealthCheck(matcher="200-204"))
ORDERS = ServiceRuntime("orders", "unused", Path("."), health=LocalHealthCheck(path="/healthz"))


class _Ok(http.server.BaseHTTPRequestHandler):
    # Health checks (GET /health) fail until the test sets this.
    healthy = threading.Event()

    def do_GET(self) -> None:
        body = b'{"ok": true}'
        self.send_response(200 if self.path != "/health" or self.healthy.is_set() else 503)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def backend_server() -> Iterator[int]:
    _Ok.healthy.set()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture
def haproxy(tmp_path: Path) -> Iterator[HAProxy]:
    proxy = HAProxy(tmp_path, [MENU, ORDERS], {"menu": free_loopback_port(), "orders": free_loopback_port()})
    proxy.start()
    yield proxy
    proxy.stop()
    assert not proxy.running()


def _wait_for_row(proxy: HAProxy, server: str, status: str, *, checked: bool = False) -> StatRow:
    def row() -> StatRow | None:
        rows = [row for row in proxy.api.show_stat() if row.server == server]
        if rows and rows[0].status == status and (not checked or rows[0].check_status != "INI"):
            return rows[0]
        return None

    return wait_until(row, what=f"{server} {status}")


def test_the_generated_config_is_accepted_by_haproxy(tmp_path: Path) -> None:
    config = tmp_path / "haproxy.cfg"
    config.write_text(render_config([MENU, ORDERS], {"menu": 18001, "orders": 18002}, tmp_path / "s.sock"))

    check = subprocess.run(["haproxy", "-c", "-f", str(config)], capture_output=True, text=True, check=False)

    assert check.returncode == 0, check.stderr
    text = config.read_text()
    assert "http-check expect rstatus ^(200|201|202|203|204)$" in text
    assert "option httpchk GET /healthz" in text


def test_a_server_takes_traffic_only_after_its_checks_pass(haproxy: HAProxy, backend_server: int) -> None:
    _Ok.healthy.clear()
    haproxy.api.add_server("menu", "i-1", "127.0.0.1", backend_server, inter_ms=100, rise=2, fall=2)
    url = f"http://127.0.0.1:{haproxy.ports['menu']}/items"

    failing = _wait_for_row(haproxy, "i-1", "DOWN", checked=True)
    assert (failing.check_status, failing.check_code) == ("L7STS", 503)
    assert httpx.get(url).status_code == 503  # HAProxy's own answer: no server is up
    _Ok.healthy.set()
    row = _wait_for_row(haproxy, "i-1", "UP")
    assert (row.check_status, row.check_code, row.address) == ("L7OK", 200, f"127.0.0.1:{backend_server}")

    assert httpx.get(url).status_code == 200
    # The session ends once HAProxy has sent the answer, which the client may read first.
    served = wait_until(
        lambda: next((r for r in haproxy.api.show_stat() if not r.current_sessions), None),
        what="the request's session to end",
    )
    assert (served.requests_total, served.hrsp_2xx) == (1, 1)


def test_a_server_that_refuses_connections_is_down_with_l4con(haproxy: HAProxy) -> None:
    # Bound but not listening: connections are refused, and no other process can take the port.
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        haproxy.api.add_server("orders", "i-2", "127.0.0.1", port, inter_ms=100, rise=2, fall=2)

        row = _wait_for_row(haproxy, "i-2", "DOWN", checked=True)
    assert (row.backend, row.check_status, row.check_code) == ("orders", "L4CON", None)


def test_drain_maintenance_and_delete(haproxy: HAProxy, backend_server: int) -> None:
    haproxy.api.add_server("menu", "i-1", "127.0.0.1", backend_server, inter_ms=100, rise=1, fall=2)
    _wait_for_row(haproxy, "i-1", "UP")

    haproxy.api.set_state("menu", "i-1", "drain")
    assert _wait_for_row(haproxy, "i-1", "DRAIN").server == "i-1"
    haproxy.api.delete_server("menu", "i-1")

    assert [row.server for row in haproxy.api.show_stat()] == []
    haproxy.api.delete_server("menu", "i-1")  # already gone: nothing to do


def test_a_refused_command_raises_with_haproxys_answer(haproxy: HAProxy) -> None:
    with pytest.raises(RuntimeApiError, match="HAProxy refused to add server nope/i-1: No such backend"):
        haproxy.api.add_server("nope", "i-1", "127.0.0.1", 1, inter_ms=100, rise=1, fall=1)


def test_every_request_is_one_json_line_in_the_access_log(haproxy: HAProxy, backend_server: int) -> None:
    haproxy.api.add_server("menu", "i-1", "127.0.0.1", backend_server, inter_ms=100, rise=1, fall=2)
    _wait_for_row(haproxy, "i-1", "UP")

    httpx.get(f"http://127.0.0.1:{haproxy.ports['menu']}/items?q=%22x%22")
    httpx.post(f"http://127.0.0.1:{haproxy.ports['orders']}/orders")

    # HAProxy writes a request's line once it has answered; it may not be there yet.
    lines = wait_until(
        lambda: (text := haproxy.access_log.read_text()).count("\n") >= 2 and text.splitlines(),
        what="two access log lines",
    )
    records = [json.loads(line) for line in lines]
    summary = [(r["service"], r["instance"], r["method"], r["path"], r["status"]) for r in records]
    assert summary == [
        ("menu", "i-1", "GET", "/items?q=%22x%22", 200),
        ("orders", "<NOSRV>", "POST", "/orders", 503),
    ]
    assert records[0]["timestamp"].endswith("Z")


def test_a_port_another_process_holds_is_named_with_its_service(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        proxy = HAProxy(tmp_path, [MENU, ORDERS], {"menu": free_loopback_port(), "orders": port})
        with pytest.raises(FleetopsError) as raised:
            proxy.start()
    assert raised.value.message == (
        f"haproxy did not start (exit status 1); orders: cannot bind 127.0.0.1:{port} (Address already "
        f"in use: held by {PortHolder(os.getpid(), _command_line()).describe()}); "
        f"see {tmp_path / 'logs' / 'haproxy' / 'haproxy.jsonl'}"
    )


def test_a_port_shared_with_so_reuseport_is_refused_too(tmp_path: Path) -> None:
    # Another HAProxy (another fleet's, pinned to the same port) binds with SO_REUSEPORT; Linux
    # would let a second one share the port and split the requests between the two fleets.
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        proxy = HAProxy(tmp_path, [MENU], {"menu": port})
        with pytest.raises(FleetopsError) as raised:
            proxy.start()
    assert f"menu: cannot bind 127.0.0.1:{port} (Address already in use: held by pid {os.getpid()} " in (
        raised.value.message
    )


def _command_line() -> str:
    return " ".join(part.decode() for part in Path("/proc/self/cmdline").read_bytes().split(b"\0") if part)


def test_a_deep_state_folder_gets_a_short_socket_path(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 90)
    proxy = HAProxy(deep, [MENU], {"menu": free_loopback_port()})
    assert proxy.socket_path.parent.name == f"fleetops-{os.getuid()}"
    proxy.start()
    try:
        assert "Name: HAProxy" in proxy.api.execute("show info")
    finally:
        proxy.stop()
    assert not proxy.socket_path.exists()
