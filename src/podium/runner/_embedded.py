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
from typing import Any

from podium.client._embedded import EmbeddedServer
from podium.settings import get_settings

__all__ = ["embedded_services"]


@contextmanager
def embedded_services() -> Iterator[Any]:
    """Run the loop services in this process's embedded server while the block runs."""
    settings = get_settings()
    if settings.api_url:
        yield None
        return
    # Deferred on purpose (start-up time): the loop services import the server's
    # models (SQLAlchemy), needed only without PODIUM_API_URL.
    from podium.server.services import ServiceRunner, all_services

    server = EmbeddedServer.get(settings)
    db = server.app.state.db
    runner = ServiceRunner(db, all_services(db, settings))

    async def _start() -> None:
        runner.start()

    server.run(_start())
    try:
        yield runner
    finally:
        if not server.closed:
            server.run(runner.stop(), timeout=30)
