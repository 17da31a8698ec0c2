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
    await db.write(models.create_logs, logs)


@router.post("/filter")
async def read_logs(db: DbDep, request: LogReadRequest | None = None) -> list[core.Log]:
    request = request or LogReadRequest()
    return await db.read(
        lambda s: [core.Log.model_validate(x) for x in models.read_logs(s, request)]
    )
