"""Routes for flow runs and their states."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request, Response, status
from sqlalchemy.orm import Session

from podium.schemas import actions, core
from podium.schemas.responses import FlowRunReadRequest
from podium.schemas.states import State
from podium.server.api._polling import notify_work
from podium.server.api._runs import RunResource, add_run_routes
from podium.server.api.deps import DbDep, json_response
from podium.server.models import flow_runs as models

router = APIRouter(prefix="/flow_runs", tags=["flow runs"])
states_router = APIRouter(prefix="/flow_run_states", tags=["flow runs"])


def _create(session: Session, run: actions.FlowRunCreate) -> tuple[core.FlowRun, bool]:
    row, created = models.create_flow_run(session, run)
    return core.FlowRun.model_validate(row), created


@router.post("/", status_code=status.HTTP_201_CREATED, response_model=core.FlowRun)
async def create_flow_run(run: actions.FlowRunCreate, db: DbDep, request: Request) -> Response:
    """Create a flow run (Pending unless ``state`` says otherwise).

    With an ``idempotency_key`` already used for this flow, or an ``id`` that
    exists, the existing run is returned with status 200.
    """
    result, created = await db.write_short(_create, run)
    if created:
        notify_work(request.app)
    # Dumped here: FastAPI would validate the run it was just built from again.
    return json_response(result, status.HTTP_201_CREATED if created else status.HTTP_200_OK)


@router.post("/{id}/heartbeat")
async def heartbeat_flow_run(id: UUID, db: DbDep) -> State | None:
    """The process running this flow run is alive; answers the run's current state.

    A Running flow run that sends none for ``PODIUM_HEARTBEAT_TIMEOUT_SECONDS``
    is marked Crashed. The answer lets the process notice a cancellation.
    """

    def _beat(session: Session) -> State | None:
        row = models.heartbeat_flow_run(session, id)
        return State.model_validate(row.state) if row.state is not None else None

    return await db.write_short(_beat)


add_run_routes(
    router,
    states_router,
    RunResource(
        kind="flow_run",
        schema=core.FlowRun,
        read_request=FlowRunReadRequest,
        update=actions.FlowRunUpdate,
        models=models,
    ),
)
