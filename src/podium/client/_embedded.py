"""The embedded server: the real API app, run in this process.

With no ``PODIUM_API_URL``, the client talks to the same FastAPI app that
``podium server start`` serves, through an httpx transport instead of a
socket. The app lives on its own event loop in a daemon thread, so that its
database engines belong to one loop whoever calls: sync code, or async code
on any loop. One server per database URL per process; it shuts down cleanly
at interpreter exit.
"""

from __future__ import annotations

import asyncio
import atexit
import gc
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

import httpx

from podium._gc import long_lived
from podium.settings import Settings

T = TypeVar("T")


class EmbeddedServer:
    """One app and its event loop, started on first use."""

    _instances: dict[str, EmbeddedServer] = {}
    _guard = threading.Lock()

    def __init__(self, settings: Settings) -> None:
        # The user's process is not a server: the loop services (scheduler,
        # crash detection, ...) run only when asked for explicitly, e.g. by a
        # runner that serves deployments without a server.
        if "services_enabled" not in settings.model_fields_set:
            settings = settings.model_copy(update={"services_enabled": False})
        self.settings = settings
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="podium-embedded-server", daemon=True
        )
        self._thread.start()
        # The server's modules, app and database engine live as long as the process:
        # made with the cyclic collector paused, then frozen (see podium._gc).
        with long_lived():
            self._start_app(settings)
        self.transport = httpx.ASGITransport(app=self.app, raise_app_exceptions=False)
        self.closed = False

    def _start_app(self, settings: Settings) -> None:
        # Imported here (start-up time): loading the server, the largest part of a short
        # script's start, then runs inside __init__'s long_lived() block.
        from podium.server.app import create_app

        # The routes a short script never reaches are loaded on first use.
        self.app = create_app(settings, defer_routers=True)
        self._lifespan = self.app.router.lifespan_context(self.app)
        self.run(self._lifespan.__aenter__())

    @classmethod
    def get(cls, settings: Settings) -> EmbeddedServer:
        key = settings.resolved_database_url
        server = cls._instances.get(key)
        if server is not None and not server.closed:
            return server
        with cls._guard:
            server = cls._instances.get(key)
            if server is None or server.closed:
                server = cls(settings)
                cls._instances[key] = server
        return server

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run a coroutine on the server's loop and wait for it from this thread."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def run_async(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the server's loop and await it from another loop."""
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop))

    async def _handle(self, request: httpx.Request) -> httpx.Response:
        response = await self.transport.handle_async_request(request)
        content = await response.aread()
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            content=content,
            request=request,
        )

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            self.run(self._lifespan.__aexit__(None, None, None), timeout=30)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=5)
            if not self._thread.is_alive():
                # A stopped loop still holds its selector and self-pipe until closed.
                self.loop.close()

    @classmethod
    def close_all(cls) -> None:
        for server in list(cls._instances.values()):
            server.close()
        cls._instances.clear()


def _close_at_exit() -> None:
    EmbeddedServer.close_all()
    # The interpreter runs one last full garbage collection on its way out;
    # over the app's many long-lived objects that costs a few hundred
    # milliseconds of every short script. Nothing left needs collecting.
    gc.freeze()


atexit.register(_close_at_exit)


class EmbeddedTransport(httpx.BaseTransport):
    """Sync httpx transport to the embedded server."""

    def __init__(self, server: EmbeddedServer) -> None:
        self.server = server

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        return self.server.run(self.server._handle(request))


class AsyncEmbeddedTransport(httpx.AsyncBaseTransport):
    """Async httpx transport to the embedded server, from any event loop."""

    def __init__(self, server: EmbeddedServer) -> None:
        self.server = server

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        return await self.server.run_async(self.server._handle(request))
