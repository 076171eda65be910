"""``/ui``: the dashboard's pages and the files they load (no token needed to load them).

Each page is a server-rendered shell (Jinja2, ``templates/``) that ``static/app.js`` fills from
the API (``/api/v1``) with the token the sign-in page keeps in the browser's session storage:
the pages themselves hold no fleet data, so they need no authentication, and every read and
every action goes through the API's roles and audit log. Jinja2 loads with the first page
served: most control planes serve none (0.02 s of CPU at each start).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from fleetops import __version__
from fleetops.server.route_table import RouteTable

if TYPE_CHECKING:
    from fastapi.templating import Jinja2Templates

HERE = Path(__file__).resolve().parent
UI_PREFIX = "/ui"
STATIC = StaticFiles(directory=HERE / "static")

PAGES = {
    "fleet": "Fleet",
    "deployments": "Deployments",
    "maintenance": "Maintenance",
    "locks": "Locks",
    "alarms": "Alarms",
    "releases": "Releases",
    "logs": "Logs",
    "audit": "Audit log",
}
"""The pages of the navigation bar, in its order: path -> title."""

router = RouteTable(prefix=UI_PREFIX, include_in_schema=False)


@cache
def templates() -> Jinja2Templates:
    """The pages' templates, made with the first page served."""
    from fastapi.templating import Jinja2Templates

    return Jinja2Templates(directory=HERE / "templates")


def _page(request: Request, template: str, page: str, title: str, **context: object) -> HTMLResponse:
    return templates().TemplateResponse(
        request,
        template,
        {"page": page, "title": title, "pages": PAGES, "version": __version__, **context},
        headers={"Cache-Control": "no-store"},
    )


@router.get("")
@router.get("/")
def index() -> Response:
    """The Fleet page."""
    return RedirectResponse(f"{UI_PREFIX}/fleet", status_code=303)


@router.get("/signin")
def signin(request: Request) -> HTMLResponse:
    """The sign-in form (a fleetops token)."""
    return _page(request, "signin.html", "signin", "Sign in")


@router.get("/deployments/{execution}")
def deployment(request: Request, execution: str) -> HTMLResponse:
    """One deployment (or rollback) execution."""
    return _page(request, "deployment.html", "deployment", execution, execution=execution)


@router.get("/{page}")
def page(request: Request, page: str) -> Response:
    """One of :data:`PAGES`; 404 for others."""
    if page not in PAGES:
        return HTMLResponse("<h1>404</h1><p>No such page.</p>", status_code=404)
    return _page(request, f"{page}.html", page, PAGES[page])
