"""``podium work-pool``: create, list, inspect, update, pause, resume and delete pools."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from podium.cli._output import (
    OUTPUT_OPTION_HELP,
    OutputFormat,
    console,
    exit_with_error,
    print_json,
    print_table,
    to_jsonable,
)
from podium.client import get_client
from podium.exceptions import InvalidRequest, ObjectAlreadyExists, ObjectNotFound
from podium.schemas.responses import MAX_LIMIT
from podium.schemas.work_pools import WorkPoolCreate, WorkPoolUpdate
from podium.workers import WORKER_TYPES

app = typer.Typer(name="work-pool", no_args_is_help=True, add_completion=False)

NAME_ARGUMENT = typer.Argument(..., metavar="NAME", help="The work pool's name.")
TEMPLATE_OPTION = typer.Option(
    None,
    "--base-job-template",
    help="A JSON file with the pool's base job template (job_configuration and variables).",
)


@app.callback()
def work_pool() -> None:
    """Work with work pools."""


def read_template(path: Path) -> dict[str, Any]:
    """A base job template from a JSON file; exits with a message if it is not one."""
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        exit_with_error(f"Base job template file {str(path)!r} does not exist.")
    except json.JSONDecodeError as exc:
        exit_with_error(f"Base job template file {str(path)!r} is not valid JSON: {exc}")
    if not isinstance(data, dict):
        exit_with_error(f"Base job template file {str(path)!r} must hold a JSON object.")
    return data


def default_template(pool_type: str) -> dict[str, Any]:
    worker = WORKER_TYPES.get(pool_type)
    return worker.get_default_base_job_template() if worker else {}


@app.command()
def create(
    name: str = NAME_ARGUMENT,
    pool_type: str = typer.Option("process", "--type", "-t", help="The kind of workers."),
    base_job_template: Path | None = TEMPLATE_OPTION,
    concurrency_limit: int | None = typer.Option(None, min=0, help="Most runs at once."),
    description: str | None = typer.Option(None, help="A description."),
    paused: bool = typer.Option(False, "--paused", help="Create it paused."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Update it if it exists."),
) -> None:
    """Create a work pool (its base job template defaults to the type's)."""
    template = (
        read_template(base_job_template) if base_job_template else default_template(pool_type)
    )
    create = WorkPoolCreate(
        name=name,
        type=pool_type,
        base_job_template=template,
        concurrency_limit=concurrency_limit,
        description=description,
        is_paused=paused,
    )
    with get_client(sync_client=True) as client:
        try:
            pool = client.create_work_pool(create, overwrite=overwrite)
        except ObjectAlreadyExists:
            exit_with_error(f"Work pool {name!r} already exists (use --overwrite to update it).")
        except InvalidRequest as exc:
            exit_with_error(f"Work pool {name!r} was refused: {exc.detail}")
    console.print(f"Created work pool {pool.name!r} of type {pool.type!r}.")
    if not WORKER_TYPES.get(pool_type):
        console.print(f"Note: Podium has no {pool_type!r} worker; start one of your own.")
    console.print(f"Start a worker with: [cyan]podium worker start --pool {pool.name!r}[/cyan]")


@app.command("ls")
def ls(
    output: OutputFormat | None = typer.Option(None, "--output", "-o", help=OUTPUT_OPTION_HELP),
) -> None:
    """List work pools."""
    with get_client(sync_client=True) as client:
        pools = client.read_work_pools(limit=MAX_LIMIT)
    if output == OutputFormat.json:
        print_json(pools)
        return
    table = Table(title="Work pools")
    for column in ("Name", "Type", "ID", "Concurrency limit", "Status"):
        table.add_column(column, no_wrap=True)
    for pool in pools:
        status = "PAUSED" if pool.is_paused else (pool.status.value if pool.status else "-")
        limit = "-" if pool.concurrency_limit is None else str(pool.concurrency_limit)
        table.add_row(pool.name, pool.type, str(pool.id), limit, status)
    print_table(table)


@app.command()
def inspect(
    name: str = NAME_ARGUMENT,
    output: OutputFormat | None = typer.Option(None, "--output", "-o", help=OUTPUT_OPTION_HELP),
) -> None:
    """Show a work pool, its base job template included."""
    with get_client(sync_client=True) as client:
        try:
            pool = client.read_work_pool(name)
        except ObjectNotFound:
            exit_with_error(f"Work pool {name!r} not found.")
    if output == OutputFormat.json:
        print_json(pool)
        return
    console.print_json(json.dumps(to_jsonable(pool), default=str))


@app.command()
def update(
    name: str = NAME_ARGUMENT,
    base_job_template: Path | None = TEMPLATE_OPTION,
    concurrency_limit: int | None = typer.Option(None, min=0, help="Most runs at once."),
    description: str | None = typer.Option(None, help="A description."),
) -> None:
    """Change a work pool's template, concurrency limit or description."""
    changes: dict[str, Any] = {}
    if base_job_template is not None:
        changes["base_job_template"] = read_template(base_job_template)
    if concurrency_limit is not None:
        changes["concurrency_limit"] = concurrency_limit
    if description is not None:
        changes["description"] = description
    if not changes:
        exit_with_error(
            "Nothing to update: give --base-job-template, --concurrency-limit or --description."
        )
    _update(name, WorkPoolUpdate(**changes), f"Updated work pool {name!r}.")


def _update(name: str, change: WorkPoolUpdate, message: str) -> None:
    with get_client(sync_client=True) as client:
        try:
            client.update_work_pool(name, change)
        except ObjectNotFound:
            exit_with_error(f"Work pool {name!r} not found.")
        except InvalidRequest as exc:
            exit_with_error(f"Work pool {name!r} was not updated: {exc.detail}")
    console.print(message)


@app.command()
def pause(name: str = NAME_ARGUMENT) -> None:
    """Pause a work pool: its workers get no runs."""
    _update(name, WorkPoolUpdate(is_paused=True), f"Paused work pool {name!r}.")


@app.command()
def resume(name: str = NAME_ARGUMENT) -> None:
    """Resume a paused work pool."""
    _update(name, WorkPoolUpdate(is_paused=False), f"Resumed work pool {name!r}.")


@app.command()
def delete(name: str = NAME_ARGUMENT) -> None:
    """Delete a work pool and its queues."""
    with get_client(sync_client=True) as client:
        try:
            client.delete_work_pool(name)
        except ObjectNotFound:
            exit_with_error(f"Work pool {name!r} not found.")
    console.print(f"Deleted work pool {name!r}.")
