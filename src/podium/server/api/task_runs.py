"""Routes for task runs, their states, and the engine's batched reports."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from sqlalchemy.orm import Session

from podium.schemas import actions, core
from podium.schemas.responses import TaskRunBatchResult, TaskRunReadRequest
from podium.server.api._runs import RunResource, add_run_routes
from podium.server.api.deps import DbDep
from podium.server.models import task_runs as models

router = APIRouter(prefix="/task_runs", tags=["task runs"])
states_router = APIRouter(prefix="/task_run_states", tags=["task runs"])


def _create(session: Session, run: actions.TaskRunCreate) -> tuple[core.TaskRun, bool]:
    row, created = models.create_task_run(session, run)
    return core.TaskRun.model_validate(row), created


@router.post("/", status_code=status.HTTP_201_CREATED)
async def create_task_run(
    run: actions.TaskRunCreate, db: DbDep, response: Response
) -> core.TaskRun:
    """Create a task run (Pending unless ``state`` says otherwise).

    With an ``id`` that already exists, the existing run is returned with 200.
    """
    result, created = await db.write(_create, run)
    if not created:
        response.status_code = status.HTTP_200_OK
    return result


@router.post("/batch")
async def report_task_runs(batch: actions.TaskRunBatch, db: DbDep) -> TaskRunBatchResult:
    """Create task runs and apply state proposals for many runs in one transaction.

    This is what the engine's background reporter sends: creations first,
    then proposals in order. Ids that already exist are not created again.
    """
    return await db.write(models.apply_batch, batch)


add_run_routes(
    router,
    states_router,
    RunResource(
        kind="task_run",
        schema=core.TaskRun,
        read_request=TaskRunReadRequest,
        update=actions.TaskRunUpdate,
        models=models,
    ),
)
