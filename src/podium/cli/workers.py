"""``podium worker start``: poll a work pool and run its flow runs."""

from __future__ import annotations

import logging

import typer

from podium.cli._output import console, exit_with_error
from podium.exceptions import ObjectNotFound
from podium.logging import setup_logging
from podium.workers import WORKER_TYPES

app = typer.Typer(name="worker", no_args_is_help=True, add_completion=False)


@app.callback()
def worker() -> None:
    """Start workers."""


@app.command()
def start(
    pool: str = typer.Option(..., "--pool", "-p", help="The work pool to poll."),
    worker_type: str = typer.Option("process", "--type", "-t", help="The kind of worker."),
    work_queue: list[str] = typer.Option(
        [], "--work-queue", "-q", help="Poll only this queue (repeatable)."
    ),
    name: str | None = typer.Option(None, "--name", "-n", help="The worker's name."),
    limit: int | None = typer.Option(None, "--limit", "-l", min=1, help="Most runs at once."),
    heartbeat_seconds: float | None = typer.Option(
        None, help="Seconds between heartbeats (default PODIUM_WORKER_HEARTBEAT_SECONDS)."
    ),
    no_create_pool: bool = typer.Option(
        False, "--no-create-pool", help="Fail if the pool does not exist instead of creating it."
    ),
) -> None:
    """Start a worker; it runs until SIGINT or SIGTERM, then stops its runs cleanly."""
    worker_class = WORKER_TYPES.get(worker_type)
    if worker_class is None:
        exit_with_error(
            f"Unknown worker type {worker_type!r}; known: {', '.join(sorted(WORKER_TYPES))}."
        )
    setup_logging()
    logging.getLogger("podium.workers").setLevel(logging.INFO)
    instance = worker_class(
        pool,
        work_queues=work_queue or None,
        name=name,
        limit=limit,
        heartbeat_interval_seconds=heartbeat_seconds,
        create_pool_if_not_found=not no_create_pool,
    )
    console.print(f"Worker {instance.name!r} started; polling work pool {pool!r}.")
    try:
        instance.start()
    except ObjectNotFound:
        exit_with_error(f"Work pool {pool!r} not found.")
    console.print(f"Worker {instance.name!r} stopped.")
