"""The six example services as a fleet on the local provider: calls go through HAProxy."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from fleetops.providers.base import InstanceState
from fleetops.providers.local.provider import LocalProvider
from fleetops.testing.local import EXAMPLE_DEPENDENCIES, example_runtime

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
            provider.wait_for(instance.id, InstanceState.IN_SERVICE, timeout=30)
        yield provider


def test_an_order_goes_through_gateway_auth_menu_orders_payments_and_notifications(
    fleet: LocalProvider,
) -> None:
    with httpx.Client(base_url=fleet.endpoint("gateway"), timeout=10) as api:
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
    body = httpx.get(fleet.endpoint("orders") + "/health").json()

    assert (body["status"], body["database"]) == ("ok", "ok")
    assert body["dependencies"] == {"menu": "ok", "payments": "ok", "notifications": "ok"}


def test_orders_is_unhealthy_while_payments_is_down(fleet: LocalProvider) -> None:
    (orders,) = fleet.instances("orders")
    fleet.suspend_replacement("payments")
    for instance in fleet.instances("payments"):
        fleet.wait_for(fleet.terminate(instance.id, drain=False).id, InstanceState.TERMINATED, timeout=10)
    try:
        # The dependency check is cached for a second.
        deadline = time.monotonic() + 3
        response = httpx.get(f"http://127.0.0.1:{orders.port}/health")
        while response.status_code == 200 and time.monotonic() < deadline:
            time.sleep(0.05)
            response = httpx.get(f"http://127.0.0.1:{orders.port}/health")
        assert response.status_code == 503
        assert response.json()["problems"] == ["payments is down"]
    finally:
        fleet.suspend_replacement("payments", False)
        fleet.wait_for(fleet.launch("payments", "v1").id, InstanceState.IN_SERVICE, timeout=15)
