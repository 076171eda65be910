"""The dashboard in Debian's Chromium (Playwright, ``executable_path=/usr/bin/chromium``) against a
real control plane running a small fleet: dev, and stage with ``approval: required``, each with
menu and notifications (two waves), one instance each, fast checks.

One fleet, one server and one browser serve the whole module (they take ~15 s to start). Each
test signs in with its own role in a new browser context. Screenshots of the pages go to
``test-output/dashboard/`` (not committed) for a person to look at.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from playwright.sync_api import Browser, Page, Route, expect, sync_playwright

from fleetops.testing.fleet_files import fleet_document
from fleetops.testing.server import run_cli
from fleetops.testing.waiting import wait_until

pytestmark = [pytest.mark.haproxy, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[3] / "test-output" / "dashboard"
TIMEOUT_MS = 60_000
HIGH_5XX = {
    "metric": "HTTPCode_Target_5XX_Count",
    "statistic": "Sum",
    "period": "5s",
    "evaluation_periods": 3,
    "datapoints_to_alarm": 2,
    "threshold": 5,
    "comparison": "GreaterThanThreshold",
    "treat_missing_data": "notBreaching",
}


@dataclass(frozen=True)
class Plane:
    """The running control plane: its URL, its folder, and a token per role."""

    url: str
    folder: Path
    tokens: dict[str, str]

    def api(self, role: str) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"}
        return httpx.Client(base_url=f"{self.url}/api/v1", headers=headers, timeout=30)

    def call(self, role: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        with self.api(role) as client:
            response = client.request(method, path, json=body)
        assert response.status_code < 300, response.text
        return response.json()


def _fleet(folder: Path) -> None:
    document = fleet_document(
        {
            "menu": {
                "versions": {"slow-start": {"env": {"FAULT_SLOW_START": "15s"}}},
                "deploy": {"alarms": ["high-5xx"]},
            },
            "notifications": {"depends_on": ["menu"]},
        },
        alarms={"high-5xx": HIGH_5XX},
    )
    document["environments"] = {
        "dev": {"provider": "local"},
        "stage": {"provider": "local", "promote_from": "dev", "approval": "required"},
    }
    folder.mkdir(parents=True)
    (folder / "fleet.yaml").write_text(yaml.safe_dump(document, sort_keys=False))


@pytest.fixture(scope="module")
def plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Plane]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: scripts/ensure-system-deps chromium installs it")
    folder = tmp_path_factory.mktemp("dashboard") / "shop"
    _fleet(folder)
    try:
        up = run_cli(["up", "-o", "json"], cwd=folder, timeout=120)
        assert up.returncode == 0, up.stderr
        started = json.loads(up.stdout)
        url = started["server"]["url"]
        assert started["dashboard"] == f"{url}/ui"
        stage = run_cli(["up", "--env", "stage"], cwd=folder, timeout=120)
        assert stage.returncode == 0, stage.stderr
        token_file = folder / ".fleetops" / "token"
        assert f"dashboard: {url}/ui (sign in with the token in {token_file})\n" in stage.stdout
        tokens = {"admin": (folder / ".fleetops" / "token").read_text().strip()}
        plane = Plane(url, folder, tokens)
        for role in ("operator", "viewer"):
            created = plane.call("admin", "POST", "/tokens", {"name": f"{role}-1", "role": role})
            tokens[role] = created["token"]
        yield plane
    finally:
        run_cli(["down"], cwd=folder, timeout=120)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # Deployments take seconds, more on a loaded machine: wait for the page as long as for them.
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield launched
        launched.close()


def _signed_in(browser: Browser, plane: Plane, role: str, path: str = "/ui/fleet") -> Page:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(TIMEOUT_MS)
    page.on("pageerror", lambda error: print(f"page error: {error}"))
    page.on("console", lambda message: message.type == "error" and print(f"console: {message.text}"))
    page.goto(f"{plane.url}{path}")
    page.wait_for_url(re.compile(r"/ui/signin"))
    page.fill("#token", plane.tokens[role])
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(re.escape(path) + "$"))
    return page


def _shot(page: Page, name: str) -> None:
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def test_sign_in_shows_the_fleet(browser: Browser, plane: Plane) -> None:
    page = browser.new_page()
    page.goto(f"{plane.url}/ui/fleet")
    page.wait_for_url(re.compile(r"/ui/signin\?next="))
    page.fill("#token", "fo_not-a-token")
    page.click("button[type=submit]")
    refused = httpx.get(f"{plane.url}/api/v1/whoami", headers={"Authorization": "Bearer fo_not-a-token"})
    assert refused.status_code == 401
    expect(page.locator("#signin-error")).to_have_text(refused.json()["message"])
    page.fill("#token", plane.tokens["operator"])
    page.click("button[type=submit]")
    page.wait_for_url(f"{plane.url}/ui/fleet")
    expect(page.locator("#who")).to_have_text("operator-1 (operator)")
    expect(page.locator("#services tr[data-service=menu] td").nth(2)).to_have_text("1 / 1 (1\u20133)")
    expect(page.locator("#instances tbody tr")).to_have_count(2)
    page.get_by_role("button", name="Show").first.click()
    expect(page.locator("pre.log").first).not_to_have_text("…")
    _shot(page, "fleet")
    page.close()


def test_a_lost_connection_is_shown_until_the_stream_is_back(browser: Browser, plane: Plane) -> None:
    page = _signed_in(browser, plane, "viewer")
    stream = re.compile(r"/api/v1/events\?")
    page.route(stream, lambda route: route.fulfill(status=503, json={"message": "down"}))
    page.reload()
    expect(page.locator("#connection")).to_be_visible()
    expect(page.locator("#connection")).to_have_text(
        "Connection to the control plane lost: reconnecting\u2026"
    )
    _shot(page, "connection-lost")
    page.unroute(stream)
    expect(page.locator("#connection")).to_be_hidden()
    expect(page.locator("#services tr[data-service=menu]")).to_be_visible()
    page.close()


def _no_reload_marker(page: Page) -> None:
    # A reload would drop this: the page must change by itself.
    page.evaluate("window.stillTheSamePage = true")


def _same_page(page: Page) -> bool:
    return bool(page.evaluate("window.stillTheSamePage === true"))


def test_a_deployment_is_followed_live_to_succeeded(browser: Browser, plane: Plane) -> None:
    page = _signed_in(browser, plane, "viewer", "/ui/deployments")
    _no_reload_marker(page)
    started = plane.call("operator", "POST", "/deployments", {"environment": "dev", "version": "v2"})
    name = started["execution"]
    row = page.locator(f"#executions tr[data-execution='{name}']")
    expect(row.locator(".badge")).to_have_text("RUNNING")
    row.get_by_role("link", name=name).click()
    page.wait_for_url(f"{plane.url}/ui/deployments/{name}")
    _no_reload_marker(page)
    expect(page.locator("#status")).to_have_text("SUCCEEDED")
    assert _same_page(page)
    expect(page.locator("#waves tr[data-service=menu] .badge")).to_have_text("Successful")
    expect(page.locator("#waves tr[data-service=notifications] td").first).to_have_text("wave 2")
    statuses = page.locator("#graph g.node").evaluate_all(
        "nodes => Object.fromEntries(nodes.map(n => [n.dataset.state, n.dataset.status]))"
    )
    assert {state: statuses[state] for state in ("Initialize", "Approval", "Waves", "Done")} == {
        "Initialize": "succeeded",
        "Approval": "not_entered",
        "Waves": "succeeded",
        "Done": "succeeded",
    }
    expect(page.locator("#events tbody tr").last).to_contain_text("ExecutionSucceeded")
    _shot(page, "deployment")
    page.goto(f"{plane.url}/ui/deployments")
    expect(page.locator(f"#executions tr[data-execution='{name}'] .badge")).to_have_text("SUCCEEDED")
    _shot(page, "deployments")
    page.fill("#filters input[name=environment]", "stage")
    expect(page.locator(f"#executions tr[data-execution='{name}']")).to_have_count(0)
    page.close()


def test_the_deploy_form_shows_what_the_api_refused(browser: Browser, plane: Plane) -> None:
    page = _signed_in(browser, plane, "operator", "/ui/deployments")
    page.fill("#deploy-form input[name=environment]", "dev")
    page.fill("#deploy-form input[name=version]", "v9")
    page.fill("#deploy-form input[name=services]", "mneu")
    page.get_by_role("button", name="Deploy…").click()
    page.get_by_role("button", name="Deploy", exact=True).click()
    with plane.api("operator") as api:
        refused = api.post("/deployments", json={"environment": "dev", "version": "v9", "services": ["mneu"]})
    assert refused.status_code == 400
    expect(page.locator("#notice")).to_have_text(f"400: {refused.json()['message']}")
    assert page.url == f"{plane.url}/ui/deployments"
    page.close()


def test_a_promotion_waiting_for_approval_is_approved(browser: Browser, plane: Plane) -> None:
    started = plane.call("operator", "POST", "/promotions", {"source": "dev", "target": "stage"})
    name = started["execution"]
    page = _signed_in(browser, plane, "admin", f"/ui/deployments/{name}")
    approve = page.get_by_role("button", name="Approve…")
    expect(approve).to_be_visible()
    expect(page.locator("#graph g.node[data-state=Approval]")).to_have_attribute("data-status", "entered")
    _shot(page, "approval")
    # By keyboard: the button takes the focus, Enter opens the dialog, Enter in its reason confirms.
    approve.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#confirm-reason")).to_be_focused()
    page.keyboard.type("dev looks good")
    page.keyboard.press("Enter")
    expect(page.locator("#status")).to_have_text("SUCCEEDED")
    expect(page.locator("#graph g.node[data-state=Approval]")).to_have_attribute("data-status", "succeeded")
    assert _versions(plane, "stage") == _versions(plane, "dev")
    approval = next(e for e in plane.call("admin", "GET", "/audit?action=executions.approve")["entries"])
    assert (approval["actor"], approval["arguments"]) == (
        "admin",
        {"approve": True, "reason": "dev looks good"},
    )
    page.close()


def _versions(plane: Plane, environment: str) -> dict[str, list[str]]:
    status = plane.call("viewer", "GET", f"/fleet?environment={environment}")
    return {service["name"]: service["versions"] for service in status["services"]}


def test_a_stopped_deployment_is_rolled_back(browser: Browser, plane: Plane) -> None:
    before = _versions(plane, "dev")
    body = {"environment": "dev", "version": "slow-start", "services": ["menu"]}
    started = plane.call("operator", "POST", "/deployments", body)
    name = started["execution"]
    page = _signed_in(browser, plane, "operator", f"/ui/deployments/{name}")
    expect(page.locator("#waves tr[data-service=menu] .badge")).to_have_text("InProgress")
    page.get_by_role("button", name="Stop…").click()
    page.get_by_role("button", name="Stop and roll back").click()
    expect(page.locator("#status")).to_have_text("ABORTED")
    expect(page.locator("#failure")).to_contain_text("stopped by operator-1")
    page.locator("#rollback-link").click()
    page.wait_for_url(re.compile(r"/ui/deployments/rollback-"))
    expect(page.locator("#runbook")).to_have_text("Rollback")
    expect(page.locator("#status")).to_have_text("SUCCEEDED")
    _shot(page, "rollback")
    assert _versions(plane, "dev") == before
    page.close()


def test_a_viewer_has_no_controls_and_a_forged_request_is_refused(browser: Browser, plane: Plane) -> None:
    started = plane.call("operator", "POST", "/promotions", {"source": "dev", "target": "stage"})
    name = started["execution"]
    try:
        page = _signed_in(browser, plane, "viewer", f"/ui/deployments/{name}")
        expect(page.locator("#summary")).to_contain_text("Waiting for approvalyes")
        assert page.locator("main button").count() == 0
        forged = page.evaluate(
            """async (name) => {
                const token = sessionStorage.getItem("fleetops.token");
                const post = (path, body) => fetch(path, {method: "POST",
                    headers: {Authorization: `Bearer ${token}`, "Content-Type": "application/json"},
                    body: JSON.stringify(body)}).then(r => r.status);
                return [await post(`/api/v1/executions/${name}/approval`, {approve: true}),
                        await post(`/api/v1/executions/${name}/stop`, {}),
                        await post("/api/v1/maintenance", {reason: "forged"})];
            }""",
            name,
        )
        assert forged == [403, 403, 403]
        pages = (("maintenance", "#windows"), ("locks", "#locks"), ("deployments", "#executions"))
        for path, filled in pages:
            page.goto(f"{plane.url}/ui/{path}")
            expect(page.locator(f"{filled} table, {filled} p.empty").first).to_be_visible()
            assert page.locator("main button, main form.card").count() == 0, path
        assert page.locator("nav a", has_text="Audit log").count() == 0
        page.close()
    finally:
        rejected = {"approve": False, "reason": "test over"}
        plane.call("operator", "POST", f"/executions/{name}/approval", rejected)


def test_maintenance_is_turned_on_and_off(browser: Browser, plane: Plane) -> None:
    page = _signed_in(browser, plane, "operator", "/ui/maintenance")
    page.select_option("#maintenance-environment", "dev")
    page.fill("#maintenance-form input[name=reason]", "database upgrade")
    page.get_by_role("button", name="Turn on…").click()
    page.get_by_role("button", name="Turn on", exact=True).click()
    row = page.locator("#windows tr[data-environment=dev]")
    expect(row).to_contain_text("database upgrade")
    assert [w["reason"] for w in plane.call("viewer", "GET", "/maintenance?environment=dev")["windows"]] == [
        "database upgrade"
    ]
    page.goto(f"{plane.url}/ui/fleet?environment=dev")
    expect(page.locator("#banners")).to_contain_text("database upgrade (operator-1)")
    page.goto(f"{plane.url}/ui/maintenance")
    _shot(page, "maintenance")
    page.locator("#windows tr[data-environment=dev]").get_by_role("button", name="Turn off…").click()
    page.get_by_role("button", name="Turn off", exact=True).click()
    expect(page.locator("#windows")).to_have_text("No maintenance window is open.")
    assert plane.call("viewer", "GET", "/maintenance?environment=dev")["windows"] == []
    page.close()


def test_the_logs_query_box_returns_rows(browser: Browser, plane: Plane) -> None:
    page = _signed_in(browser, plane, "viewer", "/ui/logs")
    page.fill("#query", "filter service = 'menu' | stats count() as n by service")
    page.get_by_role("button", name="Run query").click()
    expect(page.locator("#results thead th")).to_have_text(["service", "n"])
    expect(page.locator("#results tbody tr td").first).to_have_text("menu")
    assert int(page.locator("#results tbody tr td").nth(1).inner_text()) > 0
    _shot(page, "logs")
    page.close()


def test_a_query_run_while_the_environments_load_waits_for_them(browser: Browser, plane: Plane) -> None:
    page = _signed_in(browser, plane, "viewer")
    held: list[Route] = []

    def hold(route: Route) -> None:
        held.append(route)

    page.route("**/api/v1/environments", hold)
    page.goto(f"{plane.url}/ui/logs")
    page.fill("#query", "filter service = 'menu' | stats count() as n by service")
    page.get_by_role("button", name="Run query").click()
    wait_until(lambda: held)
    for route in held:
        route.continue_()
    expect(page.locator("#results thead th")).to_have_text(["service", "n"])
    expect(page.locator("#results tbody tr td").first).to_have_text("menu")
    page.close()


def test_an_alarm_shows_its_state_and_history(browser: Browser, plane: Plane) -> None:
    history = "/alarms/high-5xx/history?service=menu&environment=dev"
    changes = wait_until(lambda: plane.call("viewer", "GET", history)["history"], timeout=30)
    page = _signed_in(browser, plane, "viewer", "/ui/alarms")
    row = page.locator("#alarms tr[data-alarm='high-5xx/menu']")
    expect(row.locator(".badge")).to_have_text("OK")
    row.get_by_role("button", name="Show").click()
    last = changes[0]
    expect(row.locator("ol.history li").last).to_contain_text(
        f" {changes[-1]['old_state'] or '?'} \u2192 {changes[-1]['new_state']}: {changes[-1]['summary']}"
    )
    assert last["new_state"] == "OK"
    _shot(page, "alarms")
    page.close()


@pytest.mark.parametrize("path", ["releases", "locks", "audit"])
def test_the_other_pages_show_their_tables(browser: Browser, plane: Plane, path: str) -> None:
    page = _signed_in(browser, plane, "admin", f"/ui/{path}")
    expect(page.locator(f"#{path} table, #{path} p.empty").first).to_be_visible()
    expect(page.locator("#notice")).to_be_hidden()
    _shot(page, path)
    page.close()
