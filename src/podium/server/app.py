"""The server application: routers, error handling, auth, and its lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from podium._version import __version__
from podium.server.api import ROUTERS, errors
from podium.server.api._polling import WorkNotifier
from podium.server.auth import BasicAuthMiddleware
from podium.server.database import Database, upgrade
from podium.server.services import ServiceRunner, all_services
from podium.settings import Settings, get_settings


def create_app(settings: Settings | None = None, *, database: Database | None = None) -> FastAPI:
    """Build the API. The database is migrated to the latest schema at start-up."""
    settings = settings or get_settings()
    db = database or Database(settings.resolved_database_url, timeout=settings.database_timeout)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await upgrade(db)
        runner = ServiceRunner(db, all_services(db, settings))
        if settings.services_enabled:
            runner.start()
        try:
            yield
        finally:
            await runner.stop()
            if database is None:
                await db.dispose()

    app = FastAPI(
        title="Podium",
        version=__version__,
        lifespan=lifespan,
        docs_url="/docs",
        openapi_url="/api/openapi.json",
    )
    app.state.db = db
    app.state.settings = settings
    app.state.work_notifier = WorkNotifier()
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router, prefix="/api")
    if settings.api_auth_string is not None:
        app.add_middleware(
            BasicAuthMiddleware, auth_string=settings.api_auth_string.get_secret_value()
        )
    return app
