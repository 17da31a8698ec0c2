"""``podium flow``: list the flows the API knows."""

from __future__ import annotations

import typer
from rich.table import Table

from podium.cli._output import (
    OUTPUT_OPTION_HELP,
    OutputFormat,
    format_time,
    print_json,
    print_table,
)
from podium.client import get_client
from podium.schemas.responses import MAX_LIMIT
from podium.schemas.sorting import FlowSort

app = typer.Typer(name="flow", no_args_is_help=True, add_completion=False)


@app.callback()
def flow() -> None:
    """Work with flows."""


@app.command("ls")
def ls(
    limit: int = typer.Option(
        15, min=1, max=MAX_LIMIT, help="Largest number of flows to list, newest first."
    ),
    output: OutputFormat | None = typer.Option(None, "--output", "-o", help=OUTPUT_OPTION_HELP),
) -> None:
    """List flows, most recently created first."""
    with get_client(sync_client=True) as client:
        flows = client.read_flows(sort=FlowSort.CREATED_DESC, limit=limit)
    if output == OutputFormat.json:
        print_json(flows)
        return
    table = Table(title="Flows")
    table.add_column("ID", no_wrap=True, style="cyan")
    table.add_column("Name", style="bold")
    table.add_column("Tags")
    table.add_column("Created (UTC)", no_wrap=True)
    for item in flows:
        table.add_row(str(item.id), item.name, ", ".join(item.tags), format_time(item.created))
    print_table(table)
