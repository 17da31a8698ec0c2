"""Routes for logs."""

from __future__ import annotations

from fastapi import APIRouter, status

from podium.schemas import core
from podium.schemas.actions import LogCreate
from podium.schemas.responses import LogReadRequest
from podium.server.api.deps import DbDep
from podium.server.models import logs as models

router = APIRouter(prefix="/logs", tags=["logs"])


@router.post("/", status_code=status.HTTP_201_CREATED)
async def create_logs(logs: list[LogCreate], db: DbDep) -> None:
    """Store a batch of log lines."""
    async with db.write_session() as session:
        await models.create_logs(session, logs)


@router.post("/filter")
async def read_logs(db: DbDep, request: LogReadRequest | None = None) -> list[core.Log]:
    async with db.read_session() as session:
        return [
            core.Log.model_validate(row)
            for row in await models.read_logs(session, request or LogReadRequest())
        ]
