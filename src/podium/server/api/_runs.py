"""Routes shared by flow runs and task runs: one builder, two resources.

Both kinds have the same verbs (read, filter, count, update, delete,
set_state, state history); only the schemas and the query module differ.
(No ``from __future__ import annotations`` here: the route signatures use
the resource's classes, which FastAPI must see as real types.)
"""

from dataclasses import dataclass
from types import ModuleType
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response, status
from sqlalchemy.orm import Session

from podium.schemas.actions import SetStateRequest
from podium.schemas.responses import CountRequest, OrchestrationResult, SetStateStatus
from podium.schemas.states import State, StateType
from podium.server.api._polling import notify_work
from podium.server.api.deps import DbDep, json_response
from podium.server.models import states
from podium.server.orchestration.policy import RunKind


@dataclass(frozen=True)
class RunResource:
    kind: RunKind  # names the query functions and parameters
    schema: Any
    read_request: Any
    update: Any
    models: ModuleType


def add_run_routes(router: APIRouter, states_router: APIRouter, r: RunResource) -> None:
    """Register the shared run routes on ``router``, the history on ``states_router``."""
    schema, kind, label = r.schema, r.kind, r.kind.replace("_", " ")
    read_one = getattr(r.models, f"read_{kind}")
    read_many_json = getattr(r.models, f"read_{kind}s_json")
    count = getattr(r.models, f"count_{kind}s")
    update_one = getattr(r.models, f"update_{kind}")
    delete_one = getattr(r.models, f"delete_{kind}")
    set_state = getattr(r.models, f"set_{kind}_state")

    async def read(id: UUID, db: DbDep) -> Any:
        return await db.read(lambda s: schema.model_validate(read_one(s, id)))

    async def read_filtered(db: DbDep, request: r.read_request | None = None) -> Any:  # type: ignore[name-defined]  # built per resource
        request = request or r.read_request()
        # Written as JSON by the query function (see ``models._run_json``):
        # returning models would make FastAPI validate them again.
        body = await db.read(read_many_json, request)
        return Response(body, media_type="application/json")

    async def count_filtered(db: DbDep, request: CountRequest | None = None) -> int:
        return await db.read(count, request or CountRequest())

    async def update(id: UUID, body: r.update, db: DbDep) -> None:  # type: ignore[name-defined]  # built per resource
        await db.write(update_one, id, body)

    async def delete(id: UUID, db: DbDep) -> None:
        await db.write(delete_one, id)

    async def propose_state(
        id: UUID, body: SetStateRequest, db: DbDep, request: Request
    ) -> Response:
        result: OrchestrationResult = await db.write_short(
            set_state, id, body.state, force=body.force
        )
        if result.status != SetStateStatus.ACCEPT:
            return json_response(result, status.HTTP_200_OK)
        if result.state is not None and result.state.type == StateType.SCHEDULED:
            notify_work(request.app)  # a run due again (e.g. a retry) wakes polling workers
        return json_response(result, status.HTTP_201_CREATED)

    async def history(db: DbDep, run_id: Annotated[UUID, Query(alias=f"{kind}_id")]) -> list[State]:
        def _read(s: Session) -> list[State]:
            read_one(s, run_id)  # 404 for an unknown run
            return [State.model_validate(row) for row in states.read_states(s, kind, run_id)]

        return await db.read(_read)

    def add(path: str, endpoint: Any, method: str, summary: str, **options: Any) -> None:
        router.add_api_route(path, endpoint, methods=[method], summary=summary, **options)

    # Routes are matched in order: the engine's most frequent call comes first.
    add(
        "/{id}/set_state",
        propose_state,
        "POST",
        f"Propose a state for a {label}",
        status_code=201,
        response_model=OrchestrationResult,
        description="Accepted: 201. Rejected, told to wait or aborted: 200, with the reason.",
    )
    add("/{id}", read, "GET", f"Read a {label}", response_model=schema)
    add("/filter", read_filtered, "POST", f"Read {label}s", response_model=list[schema])  # type: ignore[valid-type]
    add("/count", count_filtered, "POST", f"Count {label}s")
    add("/{id}", update, "PATCH", f"Update a {label}", status_code=204)
    add("/{id}", delete, "DELETE", f"Delete a {label}", status_code=204)
    states_router.add_api_route(
        "/", history, methods=["GET"], summary=f"A {label}'s state history, oldest first"
    )
