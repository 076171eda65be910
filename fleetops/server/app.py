"""``create_app``: the control-plane FastAPI application over one ``Store``."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from fleetops import __version__
from fleetops.control import ExecutionService, load_handlers
from fleetops.control.deployments import Deployments
from fleetops.control.handlers import handler_specs
from fleetops.redaction import secret_redactor
from fleetops.server.audit import AuditMiddleware
from fleetops.server.auth import ensure_admin_token
from fleetops.server.aws.router import router as aws_router
from fleetops.server.body_limits import BodyLimitMiddleware
from fleetops.server.errors import install_error_handlers
from fleetops.server.fleet import open_environments
from fleetops.server.routes import (
    alarms,
    audit,
    deployments,
    environments,
    fleet,
    locks,
    maintenance,
    notifications,
    releases,
    system,
    tokens,
)
from fleetops.server.settings import ServerSettings
from fleetops.store import Store

API_PREFIX = "/api/v1"


def create_app(settings: ServerSettings, *, store: Store | None = None) -> FastAPI:
    """The API app: opens (and migrates) the store, creates the first admin token if none exists.

    Pass ``store`` to share an already open one (the app then leaves closing it to the caller).
    ``app.state.store`` and ``app.state.settings`` hold what the app runs on;
    ``app.state.executions`` is the :class:`ExecutionService` (started and stopped with the app's
    lifespan) with the handlers of ``settings.handlers`` and ``$FLEETOPS_HANDLERS`` registered;
    ``app.state.environments`` the :class:`Environments` running ``settings.fleet_file``: its
    ``settings.environment`` is started before the executions, and every environment (more
    are added through ``POST /environments``) is stopped after them; ``app.state.redactor`` the
    redaction of their secret values that histories and API responses pass through.
    """
    owns_store = store is None
    opened = store or Store.open(settings.database_url, settings.state_dir)
    try:
        ensure_admin_token(opened, settings.state_dir)
        envs = open_environments(settings, opened)
        # One redaction for everything the server stores or answers: the running environments'
        # secret values (read on each use: an environment added later is covered), URL passwords.
        redactor = secret_redactor(envs.secret_values)
        executions = ExecutionService(
            opened,
            # Stable across restarts on one state dir (serve() refuses a second live server
            # there), so a restarted server takes back its own executions without waiting
            # for their leases to run out.
            owner=f"{socket.gethostname()}:{settings.state_dir.resolve()}",
            lease_seconds=settings.lease_seconds,
            renew_seconds=settings.renew_seconds,
            redactor=redactor,
        )
        load_handlers(executions.registry, handler_specs(settings.handlers))
        runbooks = Deployments(executions, opened, envs)
        if envs.fleet is not None:  # without a fleet the runbooks have nothing to act on
            runbooks.register()
    except BaseException:
        if owns_store:
            opened.close()
        raise

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            await asyncio.to_thread(envs.start_all)
            await executions.start()
            try:
                yield
            finally:
                await executions.close()
        finally:
            await asyncio.to_thread(envs.stop_all)
            if owns_store:
                opened.close()

    app = FastAPI(
        title="fleetops control plane",
        version=__version__,
        lifespan=lifespan,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    app.state.store = opened
    app.state.settings = settings
    app.state.executions = executions
    app.state.environments = envs
    app.state.deployments = runbooks
    app.state.redactor = redactor
    install_error_handlers(app)
    app.add_middleware(AuditMiddleware, store=opened)
    # Added last, so outside the audit: the audit log only ever sees a body within its limits.
    app.add_middleware(BodyLimitMiddleware)
    for router in (
        system.router,
        tokens.router,
        audit.router,
        releases.router,
        locks.router,
        maintenance.router,
        notifications.router,
        environments.router,
        fleet.router,
        deployments.router,
        alarms.router,
    ):
        app.include_router(router, prefix=API_PREFIX)
    # The AWS protocols (Step Functions' among them) live at the root, where boto3's and the AWS
    # CLI's endpoint URL points.
    app.include_router(aws_router)
    return app
