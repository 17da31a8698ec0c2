"""``serve`` and ``deploy``: register deployments, and run them here or leave them to workers.

``serve(*deployments)`` registers them and runs their runs from this process until it
receives SIGINT or SIGTERM (see :class:`~podium.runner.Runner`). ``deploy(*deployments,
work_pool_name=...)`` registers them for a work pool and returns: a worker polling that
pool runs them. Podium builds no images: the worker's machine must have the flow's code
at the deployment's entrypoint (relative to its working directory, or the deployment's
``path``).
"""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from rich.console import Console

from podium.client import get_client
from podium.deployments._runner_deployment import RunnerDeployment
from podium.exceptions import ObjectNotFound
from podium.runner import Runner

__all__ = ["deploy", "serve"]

logger = logging.getLogger("podium.deployments")


def serve(
    *deployments: RunnerDeployment,
    pause_on_shutdown: bool = True,
    print_starting_message: bool = True,
    limit: int | None = None,
    **kwargs: Any,
) -> None:
    """Register ``deployments`` and run their scheduled and manual runs until stopped.

    Args:
        deployments: made with ``flow.to_deployment(...)``.
        pause_on_shutdown: pause their schedules when serving stops.
        print_starting_message: say what is served and how to run it.
        limit: most runs at once.

    Blocks until SIGINT or SIGTERM; then ends the runs still going (they end Crashed,
    or retry elsewhere if they have retries left) and returns.
    """
    if not deployments:
        raise ValueError("serve() needs at least one deployment (flow.to_deployment(...)).")
    runner = Runner(limit=limit, pause_on_shutdown=pause_on_shutdown, **kwargs)
    for deployment in deployments:
        runner.add_deployment(deployment)
    if print_starting_message:
        console = Console()
        names = ", ".join(repr(d.full_name) for d in deployments)
        console.print(f"Your deployments are being served: {names}.")
        first = deployments[0].full_name
        console.print(f"Start a run with: [cyan]podium deployment run {first!r}[/cyan]")
    runner.start()


def deploy(
    *deployments: RunnerDeployment,
    work_pool_name: str | None = None,
    print_next_steps_message: bool = True,
    **ignored: Any,
) -> list[UUID]:
    """Register ``deployments`` for a work pool (their own, or ``work_pool_name``).

    Options about images (``image``, ``build``, ``push``) are accepted and ignored:
    workers run the flow from its entrypoint.

    Raises:
        ValueError: a deployment has no work pool.
        ObjectNotFound: the work pool does not exist (create it with
            ``podium work-pool create NAME --type process``).
    """
    ids: list[UUID] = []
    with get_client(sync_client=True) as client:
        for deployment in deployments:
            pool = work_pool_name or deployment.work_pool_name
            if not pool:
                raise ValueError(
                    f"Deployment {deployment.full_name!r} has no work pool: pass "
                    "work_pool_name=... (or use serve() to run it from this process)."
                )
            try:
                client.read_work_pool(pool)
            except ObjectNotFound:
                raise ObjectNotFound(
                    404,
                    f"Work pool {pool!r} does not exist; create it with "
                    f"'podium work-pool create {pool} --type process'.",
                ) from None
            ids.append(deployment.apply(work_pool_name=pool, client=client))
    if print_next_steps_message:
        console = Console()
        for deployment in deployments:
            pool = work_pool_name or deployment.work_pool_name
            console.print(f"Deployment {deployment.full_name!r} is registered in pool {pool!r}.")
        console.print(
            f"Start a worker with: [cyan]podium worker start --pool {pool!r}[/cyan]; run it "
            f"with: [cyan]podium deployment run {deployments[-1].full_name!r}[/cyan]"
        )
    return ids
