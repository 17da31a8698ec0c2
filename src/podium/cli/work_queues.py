"""``podium work-queue``: create and list the queues of a work pool."""

from __future__ import annotations

import typer
from rich.table import Table

from podium.cli._output import (
    OUTPUT_OPTION_HELP,
    OutputFormat,
    console,
    exit_with_error,
    print_json,
    print_table,
)
from podium.client import get_client
from podium.exceptions import InvalidRequest, ObjectAlreadyExists, ObjectNotFound

app = typer.Typer(name="work-queue", no_args_is_help=True, add_completion=False)

POOL_OPTION = typer.Option(..., "--pool", "-p", help="The work pool the queue belongs to.")


@app.callback()
def work_queue() -> None:
    """Work with the queues of work pools."""


@app.command()
def create(
    name: str = typer.Argument(..., metavar="NAME", help="The queue's name."),
    pool: str = POOL_OPTION,
    limit: int | None = typer.Option(None, "--limit", "-l", min=0, help="Most runs at once."),
    priority: int | None = typer.Option(None, min=1, help="1 is polled first."),
) -> None:
    """Create a queue in a work pool."""
    with get_client(sync_client=True) as client:
        try:
            queue = client.create_work_queue(
                name, concurrency_limit=limit, priority=priority, work_pool_name=pool
            )
        except ObjectNotFound:
            exit_with_error(f"Work pool {pool!r} not found.")
        except ObjectAlreadyExists:
            exit_with_error(f"Work pool {pool!r} already has a queue {name!r}.")
        except InvalidRequest as exc:
            exit_with_error(f"Work queue {name!r} was refused: {exc.detail}")
    console.print(f"Created work queue {queue.name!r} in work pool {pool!r}.")


@app.command("ls")
def ls(
    pool: str = POOL_OPTION,
    output: OutputFormat | None = typer.Option(None, "--output", "-o", help=OUTPUT_OPTION_HELP),
) -> None:
    """List the queues of a work pool, by priority."""
    with get_client(sync_client=True) as client:
        try:
            queues = client.read_work_queues(work_pool_name=pool)
        except ObjectNotFound:
            exit_with_error(f"Work pool {pool!r} not found.")
    if output == OutputFormat.json:
        print_json(queues)
        return
    table = Table(title=f"Work queues of {pool!r}")
    for column in ("Name", "Priority", "Concurrency limit", "Paused", "ID"):
        table.add_column(column, no_wrap=True)
    for queue in queues:
        limit = "-" if queue.concurrency_limit is None else str(queue.concurrency_limit)
        table.add_row(
            queue.name,
            str(queue.priority),
            limit,
            "yes" if queue.is_paused else "no",
            str(queue.id),
        )
    print_table(table)
