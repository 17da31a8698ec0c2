"""Writes and queries for logs."""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from podium.schemas.actions import LogCreate
from podium.schemas.responses import LogReadRequest
from podium.schemas.sorting import LogSort
from podium.server.database import orm
from podium.server.models.filters import log_clause

_SORTS = {
    LogSort.TIMESTAMP_ASC: (orm.Log.timestamp.asc(), orm.Log.id),
    LogSort.TIMESTAMP_DESC: (orm.Log.timestamp.desc(), orm.Log.id),
}


def create_logs(session: Session, logs: list[LogCreate]) -> int:
    if not logs:
        return 0
    rows = [log.model_dump() for log in logs]
    session.execute(insert(orm.Log), rows)
    return len(rows)


def read_logs(session: Session, request: LogReadRequest) -> list[orm.Log]:
    query = select(orm.Log)
    if request.logs is not None:
        query = query.where(log_clause(request.logs))
    query = query.order_by(*_SORTS[request.sort]).limit(request.limit).offset(request.offset)
    return list((session.execute(query)).scalars())
