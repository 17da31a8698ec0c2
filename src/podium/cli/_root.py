"""The ``podium`` root command: the command-group table, ``podium version``, errors.

Command groups are modules of ``podium.cli`` listed in :data:`COMMAND_GROUPS`.
The root loads a group's module when that group is invoked (or when help
lists every group), because the groups that talk to the API import the
client, and the client imports the embedded server (FastAPI, SQLAlchemy,
Alembic): about a second that ``podium version`` or ``podium config`` should
not pay. This table is the one place where the CLI imports lazily.

Errors a user can cause (an unreachable or unauthorised server, invalid
settings, a broken profiles file) end any command with a message on standard error and exit code 1,
never a traceback.
"""

from __future__ import annotations

import importlib
import platform
import sys
import tomllib
from typing import Any

import typer
from pydantic import ValidationError
from typer.core import TyperGroup
from typer.main import get_command

from podium._gc import long_lived
from podium._version import API_VERSION, __version__
from podium.cli._output import err_console, exit_with_error
from podium.exceptions import (
    ObjectNotFound,
    PodiumHTTPStatusError,
    ServerUnavailable,
    Unauthorized,
)
from podium.settings import ENV_PREFIX, ProfilesFile, get_settings, profiles_path

COMMAND_GROUPS: dict[str, str] = {
    "config": "podium.cli.config",
    "deploy": "podium.cli.deploy",
    "deployment": "podium.cli.deployments",
    "flow": "podium.cli.flows",
    "flow-run": "podium.cli.flow_runs",
    "profile": "podium.cli.profile",
    "server": "podium.cli.server",
    "work-pool": "podium.cli.work_pools",
    "work-queue": "podium.cli.work_queues",
    "worker": "podium.cli.workers",
}
"""Command group name -> module holding its ``app`` (a ``typer.Typer``)."""


def describe_error(exc: Exception) -> str | None:
    """The message for an error a user can cause, or None for a bug."""
    if isinstance(exc, Unauthorized):
        return (
            f"The Podium API refused the request (401): {exc.detail} "
            "Check PODIUM_API_AUTH_STRING against the server's."
        )
    if isinstance(exc, ObjectNotFound):
        return f"Not found: {exc.detail}"
    if isinstance(exc, PodiumHTTPStatusError):
        return f"The Podium API answered {exc.status_code}: {exc.detail}"
    if isinstance(exc, ServerUnavailable):
        return f"{exc} Is the server running, and is PODIUM_API_URL right?"
    if isinstance(exc, tomllib.TOMLDecodeError):
        return f"The profiles file {profiles_path()} is not valid TOML: {exc}"
    if isinstance(exc, ValidationError) and exc.title == "Settings":
        problems = [
            f"{ENV_PREFIX}{'.'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            for err in exc.errors()
        ]
        return "Invalid setting: " + "; ".join(problems)
    return None


class PodiumGroup(TyperGroup):
    """The root group: loads command groups on demand and reports user errors."""

    def list_commands(self, ctx: Any) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(COMMAND_GROUPS))

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in COMMAND_GROUPS:
            # A group's module and what it loads (the server, the client) live as long
            # as the command: loaded with the cyclic collector paused, then frozen.
            with long_lived():
                module = importlib.import_module(COMMAND_GROUPS[cmd_name])
            command = get_command(module.app)
            command.name = cmd_name
            self.add_command(command, cmd_name)
        return command

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (
            PodiumHTTPStatusError,
            ServerUnavailable,
            ValidationError,
            tomllib.TOMLDecodeError,
        ) as exc:
            message = describe_error(exc)
            if message is None:
                raise
            exit_with_error(message)


app = typer.Typer(
    name="podium",
    cls=PodiumGroup,
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def root() -> None:
    """Podium: workflow orchestration for resilient Python data pipelines."""


def database_kind(url: str) -> str:
    """``sqlite`` or ``postgresql`` (the dialect part of a SQLAlchemy URL)."""
    return url.split(":", 1)[0].split("+", 1)[0]


@app.command()
def version() -> None:
    """Show the versions of Podium, its API and Python, and where it connects."""
    settings = get_settings()
    rows = {
        "Version": __version__,
        "API version": API_VERSION,
        "Python version": platform.python_version(),
        "Platform": platform.platform(),
        "Profile": ProfilesFile().current_name(),
        "Server type": "server (PODIUM_API_URL is set)" if settings.api_url else "embedded",
        "API URL": settings.api_url or "not set: the embedded server is used",
        "Database": database_kind(settings.resolved_database_url),
    }
    width = max(len(key) for key in rows) + 2
    for key, value in rows.items():
        typer.echo(f"{key + ':':<{width}}{value}")


def main() -> None:
    """Entry point of the ``podium`` console script."""
    try:
        app(prog_name="podium")
    except KeyboardInterrupt:
        err_console.print("Interrupted.")
        sys.exit(130)
