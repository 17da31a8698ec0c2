"""The server application: routers, error handling, auth, and its lifespan."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from podium._version import __version__
from podium.server.api import CORE_ROUTERS, MORE_ROUTERS, RouterName, errors, load_routers
from podium.server.api._polling import WorkNotifier
from podium.server.auth import BasicAuthMiddleware
from podium.server.database import Database, upgrade
from podium.settings import Settings, get_settings

if TYPE_CHECKING:
    from podium.server.services import ServiceRunner


def create_app(
    settings: Settings | None = None,
    *,
    database: Database | None = None,
    defer_routers: bool = False,
    services_after_start: bool = False,
) -> FastAPI:
    """Build the API. The database is migrated to the latest schema at start-up.

    With ``defer_routers`` the routers past the core ones (deployments, work pools,
    work queues) are imported and included when a request first needs them, or
    when the OpenAPI schema is asked for; every answer is the one the fully built
    app gives. The embedded server uses this: a short script never pays for them.

    The loop services (scheduler, late and crashed runs...) start with the app,
    unless ``PODIUM_SERVICES_ENABLED`` is off. With ``services_after_start``
    the lifespan leaves them to ``app.state.start_services()``: ``podium server
    start`` calls it once the server listens, so that loading them does not hold
    up the first answer.
    """
    settings = settings or get_settings()
    db = database or Database(settings.resolved_database_url, timeout=settings.database_timeout)
    services = _Services(db, settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await upgrade(db)
        if not services_after_start:
            services.start()
        try:
            yield
        finally:
            await services.stop()
            if database is None:
                await db.dispose()

    app = FastAPI(
        title="Podium",
        version=__version__,
        lifespan=lifespan,
        docs_url="/docs",
        openapi_url="/api/openapi.json",
        # FastAPI's OpenTelemetry bridge asks the global providers on every request
        # whether it should trace; Podium emits no traces, so it never should.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.db = db
    app.state.settings = settings
    app.state.work_notifier = WorkNotifier()
    app.state.services = services
    app.state.start_services = services.start
    errors.install(app)
    _include(app, CORE_ROUTERS)
    if defer_routers:
        DeferredRouters(app, MORE_ROUTERS)
    else:
        _include(app, MORE_ROUTERS)
    if settings.api_auth_string is not None:
        app.add_middleware(
            BasicAuthMiddleware, auth_string=settings.api_auth_string.get_secret_value()
        )
    return app


def _include(app: FastAPI, names: tuple[RouterName, ...]) -> None:
    for router in load_routers(names):
        app.include_router(router, prefix="/api")


class _Services:
    """The app's loop services: started at most once, on the running loop, if enabled."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self.runner: ServiceRunner | None = None

    def start(self, *, always: bool = False) -> None:
        """Start them unless running, if the settings enable them or ``always``.

        ``always``: a runner serving deployments without a server runs them in its
        embedded server, whose settings leave them off (see ``podium.runner``).
        """
        if self.runner is not None or not (always or self.settings.services_enabled):
            return
        # Deferred (start-up time): the services load the scheduling and deployment
        # models, which a process that does not run them never needs.
        from podium.server.services import ServiceRunner, all_services

        self.runner = ServiceRunner(self.db, all_services(self.db, self.settings))
        self.runner.start()

    async def stop(self) -> None:
        runner, self.runner = self.runner, None
        if runner is not None:
            await runner.stop()


class DeferredRouters:
    """Routers included only once a request reaches no route included so far.

    Importing a router module builds its routes and loads its models. The app
    hooks its router's fallback (the 404 answer when nothing matches): a request
    that reaches it first includes the deferred routers, then is routed again,
    now through every route. Deferred routers come last and share no path with
    the ones already included, so a request that matched before still matches
    the same route, and any other meets the full app. The OpenAPI schema is
    built only after including them.
    """

    def __init__(self, app: FastAPI, names: tuple[RouterName, ...]) -> None:
        self.app = app
        self.names = names
        self.loaded = False
        self._lock = threading.Lock()
        self._not_found: ASGIApp = app.router.default
        self._openapi = app.openapi
        app.router.default = self._route_after_loading
        app.openapi = self._full_openapi  # type: ignore[method-assign]

    def load(self) -> None:
        """Include the deferred routers (once) and restore the plain fallback."""
        with self._lock:
            if self.loaded:
                return
            _include(self.app, self.names)
            self.app.router.default = self._not_found
            self.loaded = True

    async def _route_after_loading(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.loaded:
            await self._not_found(scope, receive, send)
            return
        self.load()
        await self.app.router.app(scope, receive, send)

    def _full_openapi(self) -> dict[str, Any]:
        self.load()
        return self._openapi()
