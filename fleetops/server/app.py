"""``create_app``: the control-plane FastAPI application over one ``Store``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from fleetops import __version__
from fleetops.control.environments import Opener
from fleetops.server.audit import AuditMiddleware
from fleetops.server.aws.router import router as aws_router
from fleetops.server.body_limits import BodyLimitMiddleware
from fleetops.server.composition import compose
from fleetops.server.errors import install_error_handlers
from fleetops.server.routes import (
    alarms,
    announcements,
    audit,
    backups,
    deployments,
    drills,
    environments,
    events,
    fleet,
    health_report,
    incidents,
    locks,
    maintenance,
    maintenance_schedules,
    metrics,
    notifications,
    releases,
    reports,
    secrets,
    security,
    system,
    tasks,
    tokens,
)
from fleetops.server.settings import ServerSettings
from fleetops.server.ui import pages as ui_pages
from fleetops.store import Store

API_PREFIX = "/api/v1"


def create_app(
    settings: ServerSettings, *, store: Store | None = None, opener: Opener | None = None
) -> FastAPI:
    """The API app over the control plane ``composition.compose`` builds: it opens (and migrates)
    the store and creates the first admin token if none exists.

    Pass ``store`` to share an already open one (the app then leaves closing it to the caller);
    ``opener`` builds the environments' runtimes instead of their providers (the bench's fake).
    ``app.state.store`` and ``app.state.settings`` hold what the app runs on;
    ``app.state.executions`` is the :class:`ExecutionService` (started and stopped with the app's
    lifespan) with the handlers of ``settings.handlers`` and ``$FLEETOPS_HANDLERS`` registered;
    ``app.state.environments`` the :class:`Environments` running ``settings.fleet_file``: its
    ``settings.environment`` is started before the executions, and every environment (more
    are added through ``POST /environments``) is stopped after them; ``app.state.redactor`` the
    redaction of their secret values that histories and API responses pass through;
    ``app.state.clock`` what "now" is for the requests (a test may set a fake one there).
    """
    plane = compose(settings, store=store, opener=opener)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with plane.running():
            yield

    app = FastAPI(
        title="fleetops control plane",
        version=__version__,
        lifespan=lifespan,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    app.state.store = plane.store
    app.state.settings = settings
    app.state.executions = plane.executions
    app.state.environments = plane.environments
    app.state.deployments = plane.deployments
    app.state.redactor = plane.redactor
    app.state.clock = plane.clock
    app.state.secrets = plane.secrets
    install_error_handlers(app)
    app.add_middleware(AuditMiddleware, store=plane.store)
    # Added last, so outside the audit: the audit log only ever sees a body within its limits.
    app.add_middleware(BodyLimitMiddleware)
    for router in (
        system.router,
        tokens.router,
        audit.router,
        releases.router,
        locks.router,
        maintenance.router,
        maintenance_schedules.router,
        notifications.router,
        announcements.router,
        incidents.router,
        environments.router,
        fleet.router,
        deployments.router,
        alarms.router,
        metrics.router,
        backups.router,
        drills.router,
        health_report.router,
        reports.router,
        secrets.router,
        events.router,
        security.router,
        tasks.router,
    ):
        router.add_to(app, API_PREFIX)
    # The dashboard: pages and their files; their data comes from the API above.
    app.mount(f"{ui_pages.UI_PREFIX}/static", ui_pages.STATIC, name="ui-static")
    ui_pages.router.add_to(app)
    # The AWS protocols (Step Functions' among them) live at the root, where boto3's and the AWS
    # CLI's endpoint URL points.
    aws_router.add_to(app)
    return app
