"""Routes for task runs and their states."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response, status

from podium.schemas import actions, core
from podium.schemas.responses import (
    CountRequest,
    OrchestrationResult,
    TaskRunBatchResult,
    TaskRunReadRequest,
)
from podium.schemas.responses import SetStateStatus as Status
from podium.schemas.states import State
from podium.server.api.deps import DbDep
from podium.server.models import states
from podium.server.models import task_runs as models

router = APIRouter(prefix="/task_runs", tags=["task runs"])
states_router = APIRouter(prefix="/task_run_states", tags=["task runs"])


@router.post("/", status_code=status.HTTP_201_CREATED)
async def create_task_run(
    run: actions.TaskRunCreate, db: DbDep, response: Response
) -> core.TaskRun:
    """Create a task run (Pending unless ``state`` says otherwise).

    With an ``id`` that already exists, the existing run is returned with
    status 200.
    """
    async with db.write_session() as session:
        row, created = await models.create_task_run(session, run)
        if not created:
            response.status_code = status.HTTP_200_OK
        return core.TaskRun.model_validate(row)


@router.get("/{id}")
async def read_task_run(id: UUID, db: DbDep) -> core.TaskRun:
    async with db.read_session() as session:
        return core.TaskRun.model_validate(await models.read_task_run(session, id))


@router.post("/filter")
async def read_task_runs(
    db: DbDep, request: TaskRunReadRequest | None = None
) -> list[core.TaskRun]:
    async with db.read_session() as session:
        rows = await models.read_task_runs(session, request or TaskRunReadRequest())
        return [core.TaskRun.model_validate(row) for row in rows]


@router.post("/count")
async def count_task_runs(db: DbDep, request: CountRequest | None = None) -> int:
    async with db.read_session() as session:
        return await models.count_task_runs(session, request or CountRequest())


@router.patch("/{id}", status_code=status.HTTP_204_NO_CONTENT)
async def update_task_run(id: UUID, update: actions.TaskRunUpdate, db: DbDep) -> None:
    async with db.write_session() as session:
        await models.update_task_run(session, id, update)


@router.delete("/{id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_task_run(id: UUID, db: DbDep) -> None:
    async with db.write_session() as session:
        await models.delete_task_run(session, id)


@router.post("/{id}/set_state", status_code=status.HTTP_201_CREATED)
async def set_task_run_state(
    id: UUID, body: actions.SetStateRequest, db: DbDep, response: Response
) -> OrchestrationResult:
    """Propose a state; the answer says whether the policy accepted it, and why not."""
    async with db.write_session() as session:
        result = await models.set_task_run_state(session, id, body.state, force=body.force)
    if result.status != Status.ACCEPT:
        response.status_code = status.HTTP_200_OK
    return result


@states_router.get("/")
async def read_task_run_states(task_run_id: UUID, db: DbDep) -> list[State]:
    """The run's state history, oldest first."""
    async with db.read_session() as session:
        await models.read_task_run(session, task_run_id)
        rows = await states.read_states(session, "task_run", task_run_id)
        return [State.model_validate(row) for row in rows]


@router.post("/batch")
async def report_task_runs(batch: actions.TaskRunBatch, db: DbDep) -> TaskRunBatchResult:
    """Create task runs and apply state proposals for many runs in one transaction.

    This is what the engine's background reporter sends: creations first,
    then proposals in order. Ids that already exist are not created again.
    """
    async with db.write_session() as session:
        return await models.apply_batch(session, batch)
