"""Routes for flows."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response, status

from podium.schemas import actions, core
from podium.schemas.responses import CountRequest, FlowReadRequest
from podium.server.api.deps import DbDep
from podium.server.models import flows as models

router = APIRouter(prefix="/flows", tags=["flows"])


@router.post("/", status_code=status.HTTP_201_CREATED)
async def create_flow(flow: actions.FlowCreate, db: DbDep, response: Response) -> core.Flow:
    """Create a flow, or return the existing flow with this name (200)."""
    async with db.write_session() as session:
        row, created = await models.create_flow(session, flow)
        if not created:
            response.status_code = status.HTTP_200_OK
        return core.Flow.model_validate(row)


@router.get("/{id}")
async def read_flow(id: UUID, db: DbDep) -> core.Flow:
    async with db.read_session() as session:
        return core.Flow.model_validate(await models.read_flow(session, id))


@router.get("/name/{name}")
async def read_flow_by_name(name: str, db: DbDep) -> core.Flow:
    async with db.read_session() as session:
        return core.Flow.model_validate(await models.read_flow_by_name(session, name))


@router.post("/filter")
async def read_flows(db: DbDep, request: FlowReadRequest | None = None) -> list[core.Flow]:
    async with db.read_session() as session:
        rows = await models.read_flows(session, request or FlowReadRequest())
        return [core.Flow.model_validate(row) for row in rows]


@router.post("/count")
async def count_flows(db: DbDep, request: CountRequest | None = None) -> int:
    async with db.read_session() as session:
        return await models.count_flows(session, request or CountRequest())


@router.patch("/{id}", status_code=status.HTTP_204_NO_CONTENT)
async def update_flow(id: UUID, update: actions.FlowUpdate, db: DbDep) -> None:
    async with db.write_session() as session:
        await models.update_flow(session, id, update)


@router.delete("/{id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_flow(id: UUID, db: DbDep) -> None:
    async with db.write_session() as session:
        await models.delete_flow(session, id)
