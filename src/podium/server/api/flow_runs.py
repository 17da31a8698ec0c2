"""Routes for flow runs and their states."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response, status

from podium.schemas import actions, core
from podium.schemas.responses import CountRequest, FlowRunReadRequest, OrchestrationResult
from podium.schemas.responses import SetStateStatus as Status
from podium.schemas.states import State
from podium.server.api.deps import DbDep
from podium.server.models import flow_runs as models
from podium.server.models import states

router = APIRouter(prefix="/flow_runs", tags=["flow runs"])
states_router = APIRouter(prefix="/flow_run_states", tags=["flow runs"])


@router.post("/", status_code=status.HTTP_201_CREATED)
async def create_flow_run(
    run: actions.FlowRunCreate, db: DbDep, response: Response
) -> core.FlowRun:
    """Create a flow run (Pending unless ``state`` says otherwise).

    With an ``idempotency_key`` already used for this flow, the existing run
    is returned with status 200.
    """
    async with db.write_session() as session:
        row, created = await models.create_flow_run(session, run)
        if not created:
            response.status_code = status.HTTP_200_OK
        return core.FlowRun.model_validate(row)


@router.get("/{id}")
async def read_flow_run(id: UUID, db: DbDep) -> core.FlowRun:
    async with db.read_session() as session:
        return core.FlowRun.model_validate(await models.read_flow_run(session, id))


@router.post("/filter")
async def read_flow_runs(
    db: DbDep, request: FlowRunReadRequest | None = None
) -> list[core.FlowRun]:
    async with db.read_session() as session:
        rows = await models.read_flow_runs(session, request or FlowRunReadRequest())
        return [core.FlowRun.model_validate(row) for row in rows]


@router.post("/count")
async def count_flow_runs(db: DbDep, request: CountRequest | None = None) -> int:
    async with db.read_session() as session:
        return await models.count_flow_runs(session, request or CountRequest())


@router.patch("/{id}", status_code=status.HTTP_204_NO_CONTENT)
async def update_flow_run(id: UUID, update: actions.FlowRunUpdate, db: DbDep) -> None:
    async with db.write_session() as session:
        await models.update_flow_run(session, id, update)


@router.delete("/{id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_flow_run(id: UUID, db: DbDep) -> None:
    async with db.write_session() as session:
        await models.delete_flow_run(session, id)


@router.post("/{id}/set_state", status_code=status.HTTP_201_CREATED)
async def set_flow_run_state(
    id: UUID, body: actions.SetStateRequest, db: DbDep, response: Response
) -> OrchestrationResult:
    """Propose a state; the answer says whether the policy accepted it, and why not."""
    async with db.write_session() as session:
        result = await models.set_flow_run_state(session, id, body.state, force=body.force)
    if result.status != Status.ACCEPT:
        response.status_code = status.HTTP_200_OK
    return result


@states_router.get("/")
async def read_flow_run_states(flow_run_id: UUID, db: DbDep) -> list[State]:
    """The run's state history, oldest first."""
    async with db.read_session() as session:
        await models.read_flow_run(session, flow_run_id)
        rows = await states.read_states(session, "flow_run", flow_run_id)
        return [State.model_validate(row) for row in rows]
