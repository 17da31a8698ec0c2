"""What every command group shares: consoles, errors, JSON output, formatting.

Tables and messages go through rich; ``--output json`` writes plain JSON to
standard output and nothing else, so that it can be piped into other tools.
Errors go to standard error and end the command with exit code 1.
"""

from __future__ import annotations

import datetime as dt
import json
from enum import StrEnum
from typing import Any, NoReturn

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from podium.schemas.states import StateType

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

STATE_STYLES: dict[StateType, str] = {
    StateType.SCHEDULED: "yellow",
    StateType.PENDING: "grey50",
    StateType.RUNNING: "blue",
    StateType.COMPLETED: "green",
    StateType.FAILED: "red",
    StateType.CANCELLED: "grey50",
    StateType.CANCELLING: "grey50",
    StateType.CRASHED: "bright_red",
    StateType.PAUSED: "grey50",
}


class OutputFormat(StrEnum):
    """Machine-readable output formats a command can print instead of tables."""

    json = "json"


OUTPUT_OPTION_HELP = "Print JSON instead of a table (the only supported format is 'json')."


PIPE_WIDTH = 200
"""Width of tables written to a pipe or file, where no terminal limits the lines."""


def print_table(table: Table) -> None:
    """Print a table to standard output, as wide as the terminal (or wider in a pipe)."""
    target = console if console.is_terminal else Console(width=PIPE_WIDTH, highlight=False)
    target.print(table)


def exit_with_error(message: str, code: int = 1) -> NoReturn:
    """Print ``message`` to standard error and end the command with ``code``."""
    err_console.print(f"[red]Error:[/red] {escape(message)}")
    raise typer.Exit(code)


def exit_with_success(message: str) -> NoReturn:
    """Print ``message`` and end the command with exit code 0."""
    console.print(escape(message))
    raise typer.Exit(0)


def warn(message: str) -> None:
    """Print a warning to standard error; the command carries on."""
    err_console.print(f"[yellow]Warning:[/yellow] {escape(message)}")


def to_jsonable(value: Any) -> Any:
    """Pydantic models (and lists and dicts of them) as JSON-compatible data."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list | tuple):
        return [to_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    return value


def print_json(value: Any) -> None:
    """Write ``value`` as indented JSON to standard output, with no markup."""
    typer.echo(json.dumps(to_jsonable(value), indent=2, default=str))


def format_time(value: dt.datetime | None, *, precise: bool = False) -> str:
    """A timestamp in UTC for tables: ``2024-05-01 12:00:00`` (milliseconds if precise)."""
    if value is None:
        return "-"
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    text = value.strftime("%Y-%m-%d %H:%M:%S")
    if precise:
        text += f".{value.microsecond // 1000:03d}"
    return text


def format_duration(value: dt.timedelta | float | None) -> str:
    """A duration as ``1h 2m 3.4s`` (the larger units only when needed)."""
    if value is None:
        return "-"
    seconds = value.total_seconds() if isinstance(value, dt.timedelta) else float(value)
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(int(minutes), 60)
    if hours:
        return f"{hours}h {minutes}m {secs:.0f}s"
    if minutes:
        return f"{minutes}m {secs:.1f}s"
    return f"{secs:.1f}s"


def state_text(state_type: StateType | None, state_name: str | None) -> Text:
    """A state's name, coloured by its type."""
    if state_type is None:
        return Text("-")
    return Text(state_name or state_type.value.title(), style=STATE_STYLES.get(state_type, ""))
