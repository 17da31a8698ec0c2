"""``podium server``: serve the API with uvicorn, and manage its database.

This module imports the server application, uvicorn and SQLAlchemy at its
top; the root command loads it only when ``podium server ...`` runs.
"""

from __future__ import annotations

import asyncio
import signal
import socket
from collections.abc import Callable, Coroutine
from types import FrameType
from typing import Any

import typer
import uvicorn
from rich.markup import escape
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from podium._gc import long_lived
from podium._version import __version__
from podium.cli._output import console, exit_with_error
from podium.server.app import create_app
from podium.server.database import HEAD, Database
from podium.server.database import reset as reset_schema
from podium.server.database import upgrade as upgrade_schema
from podium.settings import Settings, get_settings

app = typer.Typer(name="server", no_args_is_help=True, add_completion=False)
database_app = typer.Typer(name="database", no_args_is_help=True, add_completion=False)
app.add_typer(database_app, name="database")

GRACEFUL_SHUTDOWN_SECONDS = 10


@app.callback()
def server() -> None:
    """Start a Podium server and manage its database."""


@database_app.callback()
def database() -> None:
    """Create, upgrade or reset the server's database (PODIUM_DATABASE_URL)."""


class ServerStopped(Exception):
    """SIGTERM arrived; the server has shut down (or had not started yet)."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise ServerStopped(signum)


class _AnnouncingServer(uvicorn.Server):
    """A uvicorn server that, once it listens, calls ``on_listening`` and prints where
    to reach Podium; when it begins to stop, it calls ``on_stopping``."""

    def __init__(
        self,
        config: uvicorn.Config,
        url: str,
        on_listening: Callable[[], None],
        on_stopping: Callable[[], None],
    ) -> None:
        super().__init__(config)
        self.url = url
        self.on_listening = on_listening
        self.on_stopping = on_stopping

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # Before uvicorn waits for the requests in progress: long polls answer now.
        self.on_stopping()
        await super().shutdown(sockets=sockets)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if not self.should_exit:
            with long_lived():  # what it loads lives as long as the process too
                self.on_listening()
            url = escape(self.url)
            console.print(
                f"Podium server {__version__} is running at [bold]{url}[/bold]\n"
                f"  API:  {url}/api  (use it with PODIUM_API_URL={url}/api)\n"
                f"  Docs: {url}/docs\n"
                "Press Ctrl+C to stop."
            )


def display_url(host: str, port: int) -> str:
    """The URL to print for a bind address (IPv6 hosts in brackets)."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


@app.command()
def start(
    host: str | None = typer.Option(
        None, help="Address to bind. Default: PODIUM_SERVER_HOST (127.0.0.1).", show_default=False
    ),
    port: int | None = typer.Option(
        None,
        min=1,
        max=65535,
        help="Port to bind. Default: PODIUM_SERVER_PORT (4200).",
        show_default=False,
    ),
) -> None:
    """Start the API server; Ctrl+C or SIGTERM stops it gracefully."""
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        settings = get_settings()
        host = host or settings.server_host
        port = port or settings.server_port
        with long_lived():  # the app lives as long as the process (see podium._gc)
            api = create_app(settings, defer_routers=True, services_after_start=True)
        config = uvicorn.Config(
            api,
            host=host,
            port=port,
            log_level=settings.logging_level.lower(),
            # One line per request costs more than a small request itself; the
            # access log is there when debugging (PODIUM_LOGGING_LEVEL=DEBUG).
            access_log=settings.logging_level == "DEBUG",
            # Podium reads no client addresses, so forwarded-for headers need
            # no rewriting middleware on every request.
            proxy_headers=False,
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        )
        _AnnouncingServer(
            config,
            display_url(host, port),
            api.state.start_services,
            api.state.work_notifier.close,
        ).run()
    except (KeyboardInterrupt, ServerStopped):
        pass
    except SystemExit as exc:
        # uvicorn exits this way when it cannot start, after logging why.
        if exc.code not in (0, None):
            exit_with_error(f"The server could not start on {host}:{port} (see above).")
    finally:
        signal.signal(signal.SIGTERM, previous)
    console.print("Podium server stopped.")


# --- database ---------------------------------------------------------------------


def shown_database(url: str) -> str:
    """The database URL with any password hidden."""
    return make_url(url).render_as_string(hide_password=True)


def run_on_database(
    settings: Settings, operation: Callable[[Database], Coroutine[Any, Any, None]]
) -> None:
    """Run ``operation`` on the configured database; exit with an error if it fails."""
    url = settings.resolved_database_url

    async def _run() -> None:
        db = Database(url, timeout=settings.database_timeout)
        try:
            await operation(db)
        finally:
            await db.dispose()

    try:
        asyncio.run(_run())
    except (OSError, SQLAlchemyError) as exc:
        exit_with_error(f"Database {shown_database(url)} failed: {exc}")


@database_app.command()
def upgrade(
    yes: bool = typer.Option(
        False, "--yes", "-y", help="Accepted for compatibility; upgrading never asks."
    ),
) -> None:
    """Migrate the database to the latest schema (creating it if needed)."""
    settings = get_settings()
    run_on_database(settings, upgrade_schema)
    console.print(
        f"Database {shown_database(settings.resolved_database_url)} is at revision {HEAD}."
    )


@database_app.command()
def reset(
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Drop every Podium table and recreate the schema: all data is lost."""
    settings = get_settings()
    where = shown_database(settings.resolved_database_url)
    if not yes and not typer.confirm(f"Delete all data in {where} and recreate its schema?"):
        exit_with_error("Reset cancelled; nothing was changed.")
    run_on_database(settings, reset_schema)
    console.print(f"Database {where} was reset to revision {HEAD}.")
