"""``run_deployment``: create a run of a deployment and, if asked, wait for its end.

Called inside a flow run (``as_subflow=True``, the default), the new run is linked to
it like a subflow: a task run in the parent stands for the call, and the new run's
``parent_task_run_id`` points at it. The call is identified by the parent run, the
deployment and its occurrence in the parent, so a retried parent finds the run it
created before instead of creating another.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from typing import Any
from uuid import UUID

from podium.client import SyncPodiumClient, get_client
from podium.context import FlowRunContext, TaskRunContext
from podium.schemas.core import FlowRun
from podium.schemas.states import TERMINAL_STATES, StateCreate, StateDetails, StateType

__all__ = ["run_deployment"]


def run_deployment(
    name: str | UUID,
    client: SyncPodiumClient | None = None,
    parameters: dict[str, Any] | None = None,
    scheduled_time: dt.datetime | None = None,
    flow_run_name: str | None = None,
    timeout: float | None = None,
    poll_interval: float = 1.0,
    tags: list[str] | None = None,
    idempotency_key: str | None = None,
    work_queue_name: str | None = None,
    as_subflow: bool = True,
    job_variables: dict[str, Any] | None = None,
) -> FlowRun:
    """Create a run of the deployment ``name`` (``"flow/deployment"`` or its id).

    Args:
        parameters: overlay the deployment's defaults; checked against its schema.
        scheduled_time: when the run should start (default: now).
        timeout: seconds to wait for a final state; ``0`` returns at once, ``None``
            waits until the run ends.
        poll_interval: seconds between two reads of the run while waiting.
        as_subflow: inside a flow run, link the new run to it like a subflow.
        job_variables: overrides of the work pool's job variables for this run.

    Returns:
        The flow run as last read: final if it ended within ``timeout``.

    Raises:
        InvalidRequest: parameters or job variables the deployment does not accept
            (the message names each).
        ObjectNotFound: no such deployment.
    """
    if client is None:
        with get_client(sync_client=True) as own:
            return run_deployment(
                name,
                own,
                parameters,
                scheduled_time,
                flow_run_name,
                timeout,
                poll_interval,
                tags,
                idempotency_key,
                work_queue_name,
                as_subflow,
                job_variables,
            )
    if timeout is not None and timeout < 0:
        raise ValueError("timeout must be 0 or more seconds (or None to wait for the end)")
    deployment = _read(client, name)
    parent_task_run_id = None
    parent_flow_run_id = None
    ctx = FlowRunContext.get()
    if as_subflow and ctx is not None:
        parent_flow_run_id = ctx.flow_run.id
        parent_task_run_id = _parent_task_run(client, ctx, deployment.name, str(name))
        idempotency_key = idempotency_key or f"run_deployment {parent_task_run_id}"
    state = StateCreate(
        type=StateType.SCHEDULED,
        state_details=StateDetails(scheduled_time=scheduled_time or dt.datetime.now(dt.UTC)),
    )
    run = client.create_flow_run_from_deployment(
        deployment.id,
        parameters=parameters,
        state=state,
        name=flow_run_name,
        tags=tags,
        idempotency_key=idempotency_key,
        parent_task_run_id=parent_task_run_id,
        parent_flow_run_id=parent_flow_run_id,
        work_queue_name=work_queue_name,
        job_variables=job_variables,
    )
    if timeout == 0:
        return run
    deadline = None if timeout is None else time.monotonic() + timeout
    while run.state_type not in TERMINAL_STATES:
        if deadline is not None and time.monotonic() >= deadline:
            break
        wait = (
            poll_interval if deadline is None else min(poll_interval, deadline - time.monotonic())
        )
        time.sleep(max(wait, 0.0))
        run = client.read_flow_run(run.id)
    if parent_task_run_id is not None and run.state is not None and run.state.is_final():
        client.set_task_run_state(
            parent_task_run_id,
            StateCreate(type=run.state.type, name=run.state.name, message=run.state.message),
            force=True,
        )
    return run


def _read(client: SyncPodiumClient, name: str | UUID) -> Any:
    if isinstance(name, UUID):
        return client.read_deployment(name)
    try:
        return client.read_deployment(UUID(name))
    except ValueError:
        return client.read_deployment_by_name(name)


def _parent_task_run(
    client: SyncPodiumClient, ctx: FlowRunContext, deployment_name: str, name: str
) -> UUID:
    """The parent's task run for this call (the same one when a retried parent calls again)."""
    task_ctx = TaskRunContext.get()
    key = ("run_deployment", name, task_ctx.task_run.id if task_ctx else None)
    occurrence = ctx.next_occurrence(key)
    task_run_id = uuid.uuid5(ctx.flow_run.id, f"run_deployment/{name}/{key[2]}/{occurrence}")
    client.create_task_run(
        task_key=f"run_deployment-{deployment_name}",
        flow_run_id=ctx.flow_run.id,
        dynamic_key=str(occurrence),
        id=task_run_id,
        name=f"run_deployment-{deployment_name}",
        state=StateCreate(type=StateType.RUNNING),
    )
    return task_run_id
