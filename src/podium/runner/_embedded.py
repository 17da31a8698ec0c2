"""Loop services for a runner without a server.

A Podium server runs the scheduler, crash detection and the other loop services. A
runner serving deployments with no ``PODIUM_API_URL`` has no server: its embedded
server (the API app in this process) runs them instead, for as long as the runner
serves. Its subprocesses use their own embedded servers on the same SQLite file, with
no services; each service's lease in the database keeps any second runner on the same
``PODIUM_HOME`` from running a service twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from podium.client._embedded import EmbeddedServer
from podium.settings import get_settings

__all__ = ["embedded_services"]


@contextmanager
def embedded_services() -> Iterator[None]:
    """Run the loop services in this process's embedded server while the block runs."""
    settings = get_settings()
    if settings.api_url:
        yield
        return
    server = EmbeddedServer.get(settings)
    services = server.app.state.services  # the app's own, off in an embedded server

    async def _start() -> None:
        services.start(always=True)

    server.run(_start())
    try:
        yield
    finally:
        if not server.closed:
            server.run(services.stop(), timeout=30)
