"""Routes for task runs, their states, and the engine's batched reports."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request, Response, status
from fastapi.routing import APIRoute
from pydantic import ValidationError
from sqlalchemy.orm import Session

from podium._gc import paused
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
    result, created = await db.write_short(_create, run)
    if not created:
        response.status_code = status.HTTP_200_OK
    return result


class _BatchRequest(Request):
    """A request whose JSON body is read straight into a :class:`~actions.TaskRunBatch`.

    FastAPI reads a JSON body with the stdlib parser, then validates the
    Python objects; pydantic validating the raw bytes in one pass costs a
    fifth less on the engine's batches of thousands of records, and builds no
    intermediate dicts. The route's parameter still declares the model, so
    the OpenAPI schema is unchanged and FastAPI takes the validated instance
    as it is. A body that does not validate goes FastAPI's usual way, so its
    422 answer is exactly what any other route gives.
    """

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            try:
                self._json = actions.TaskRunBatch.model_validate_json(await self.body())
            except ValidationError:
                return await super().json()
        return self._json


class _BatchRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handle_batch(request: Request) -> Response:
            # A batch of thousands of runs is tens of thousands of objects, alive
            # from parsing until the answer, none in a reference cycle: with the
            # cyclic collector running, it scanned them over and over (a fifth of
            # the batch's cost) and they pushed it into full collections of the
            # whole process. Paused, they are freed as usual when the batch is done.
            with paused():
                return await handle(_BatchRequest(request.scope, request.receive))

        return handle_batch


async def report_task_runs(batch: actions.TaskRunBatch, db: DbDep) -> TaskRunBatchResult:
    """Create task runs and apply state proposals for many runs in one transaction.

    This is what the engine's background reporter sends: creations first,
    then proposals in order. Ids that already exist are not created again. A
    proposal for a task run that does not exist is refused in the answer; a
    creation for a flow run that does not exist makes the whole batch a 404.
    """
    return await db.write(models.apply_batch, batch)


router.add_api_route("/batch", report_task_runs, methods=["POST"], route_class_override=_BatchRoute)


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
