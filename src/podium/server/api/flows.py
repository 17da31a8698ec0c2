"""Routes for flows."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response, status
from sqlalchemy.orm import Session

from podium.schemas import actions, core
from podium.schemas.responses import CountRequest, FlowReadRequest
from podium.server.api.deps import DbDep
from podium.server.models import flows as models

router = APIRouter(prefix="/flows", tags=["flows"])


def _create(session: Session, flow: actions.FlowCreate) -> tuple[core.Flow, bool]:
    row, created = models.create_flow(session, flow)
    return core.Flow.model_validate(row), created


@router.post("/", status_code=status.HTTP_201_CREATED)
async def create_flow(flow: actions.FlowCreate, db: DbDep, response: Response) -> core.Flow:
    """Create a flow, or return the existing flow with this name (200)."""
    result, created = await db.write_short(_create, flow)
    if not created:
        response.status_code = status.HTTP_200_OK
    return result


@router.get("/{id}")
async def read_flow(id: UUID, db: DbDep) -> core.Flow:
    return await db.read(lambda s: core.Flow.model_validate(models.read_flow(s, id)))


@router.get("/name/{name}")
async def read_flow_by_name(name: str, db: DbDep) -> core.Flow:
    return await db.read(lambda s: core.Flow.model_validate(models.read_flow_by_name(s, name)))


@router.post("/filter")
async def read_flows(db: DbDep, request: FlowReadRequest | None = None) -> list[core.Flow]:
    request = request or FlowReadRequest()
    return await db.read(
        lambda s: [core.Flow.model_validate(row) for row in models.read_flows(s, request)]
    )


@router.post("/count")
async def count_flows(db: DbDep, request: CountRequest | None = None) -> int:
    return await db.read(models.count_flows, request or CountRequest())


@router.patch("/{id}", status_code=status.HTTP_204_NO_CONTENT)
async def update_flow(id: UUID, update: actions.FlowUpdate, db: DbDep) -> None:
    await db.write(models.update_flow, id, update)


@router.delete("/{id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_flow(id: UUID, db: DbDep) -> None:
    await db.write(models.delete_flow, id)
