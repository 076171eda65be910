"""The six example services as a fleet on the local provider: calls go through HAProxy."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from fleetops.providers.base import InstanceState
from fleetops.providers.local.provider import LocalProvider
from fleetops.testing.local import EXAMPLE_DEPENDENCIES, example_runtime
from fleetops.testing.waiting import DEADLINE, wait_until

pytestmark = pytest.mark.haproxy


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalProvider]:
    state = tmp_path_factory.mktemp("fleet")
    services = [
        example_runtime(name, env={"ORDERS_DB": str(state / "orders.sqlite")})
        for name in EXAMPLE_DEPENDENCIES
    ]
    with LocalProvider(services, state_dir=state / "state") as provider:
        launched = [provider.launch(name, "v1") for name in EXAMPLE_DEPENDENCIES]
        for instance in launched:
            provider.wait_for(instance.id, InstanceState.IN_SERVICE, timeout=2 * DEADLINE)
        yield provider


def test_an_order_goes_through_gateway_auth_menu_orders_payments_and_notifications(
    fleet: LocalProvider,
) -> None:
    with httpx.Client(base_url=fleet.endpoint("gateway"), timeout=DEADLINE) as api:
        token = api.post("/api/token", json={"user": "ada"}).json()["token"]
        menu = api.get("/api/menu").json()
        created = api.post(
            "/api/orders", json={"items": [1, 3]}, headers={"authorization": f"Bearer {token}"}
        )
        listed = api.get("/api/orders", headers={"authorization": f"Bearer {token}"}).json()
        refused = api.get("/api/orders", headers={"authorization": "Bearer forged.sig"})

    assert [item["id"] for item in menu] == [1, 2, 3, 4]
    assert created.status_code == 201
    order = created.json()
    assert (order["user"], order["items"], order["total_cents"]) == ("ada", [1, 3], 1550)
    assert [o["id"] for o in listed] == [order["id"]]
    assert refused.status_code == 401
    sent = httpx.get(fleet.endpoint("notifications") + "/notifications").json()
    assert {"to": "ada", "message": f"order {order['id']} confirmed"} in [
        {k: m[k] for k in ("to", "message")} for m in sent
    ]


def test_health_reports_the_database_and_the_dependencies(fleet: LocalProvider) -> None:
    def healthy() -> dict[str, Any] | None:
        body: dict[str, Any] = httpx.get(fleet.endpoint("orders") + "/health", timeout=DEADLINE).json()
        return body if body["status"] == "ok" and set(body["dependencies"].values()) == {"ok"} else None

    # Each dependency's check has a 2 s timeout: on a loaded machine one may miss it once, and
    # notifications is optional (orders stays "ok" without it), so wait for every check to pass.
    body = wait_until(healthy, what="orders healthy with every dependency ok")

    assert (body["status"], body["database"]) == ("ok", "ok")
    assert body["dependencies"] == {"menu": "ok", "payments": "ok", "notifications": "ok"}


def test_orders_is_unhealthy_while_payments_is_down(fleet: LocalProvider) -> None:
    (orders,) = fleet.instances("orders")
    # Out of its load balancer, orders keeps running while its health checks fail; in service,
    # it would be stopped and replaced as soon as they did, under this test's feet.
    fleet.deregister(orders.id)
    fleet.suspend_replacement("payments")
    for instance in fleet.instances("payments"):
        stopped = fleet.terminate(instance.id, drain=False)
        fleet.wait_for(stopped.id, InstanceState.TERMINATED, timeout=DEADLINE)
    try:

        def reported() -> tuple[int, list[str]]:
            response = httpx.get(f"http://127.0.0.1:{orders.port}/health", timeout=DEADLINE)
            return response.status_code, response.json().get("problems", [])

        # A healthy dependency check is cached for 5 s: wait for it to see payments gone.
        wait_until(lambda: reported() == (503, ["payments is down"]), what="orders reporting payments down")
    finally:
        fleet.suspend_replacement("payments", False)
        fleet.wait_for(fleet.launch("payments", "v1").id, InstanceState.IN_SERVICE, timeout=DEADLINE)
        fleet.terminate(orders.id)
        fleet.wait_for(fleet.launch("orders", "v1").id, InstanceState.IN_SERVICE, timeout=DEADLINE)
