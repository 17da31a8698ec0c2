"""Queries and writes for flows."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import CursorResult, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from podium.schemas import actions
from podium.schemas.responses import CountRequest, FlowReadRequest
from podium.schemas.sorting import FlowSort
from podium.server.database import orm
from podium.server.errors import NotFound
from podium.server.models.filters import run_scope

_SORTS: dict[Any, tuple[Any, ...]] = {
    FlowSort.CREATED_DESC: (orm.Flow.created.desc(),),
    FlowSort.UPDATED_DESC: (orm.Flow.updated.desc(),),
    FlowSort.NAME_ASC: (orm.Flow.name.asc(),),
    FlowSort.NAME_DESC: (orm.Flow.name.desc(),),
}


def create_flow(session: Session, flow: actions.FlowCreate) -> tuple[orm.Flow, bool]:
    """The flow with this name, created if it does not exist; ``True`` if created."""
    existing = read_flow_by_name(session, flow.name, missing_ok=True)
    if existing is not None:
        return existing, False
    row = orm.Flow(name=flow.name, tags=flow.tags, labels=flow.labels)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        # Another client created it between our read and our insert.
        winner = read_flow_by_name(session, flow.name)
        assert winner is not None
        return winner, False
    return row, True


def read_flow(session: Session, flow_id: UUID) -> orm.Flow:
    row = session.get(orm.Flow, flow_id)
    if row is None:
        raise NotFound.of("Flow", flow_id)
    return row


def read_flow_by_name(session: Session, name: str, *, missing_ok: bool = False) -> orm.Flow | None:
    row = (session.execute(select(orm.Flow).where(orm.Flow.name == name))).scalar()
    if row is None and not missing_ok:
        raise NotFound.of("Flow", name, field="name")
    return row


def read_flows(session: Session, request: FlowReadRequest) -> list[orm.Flow]:
    dialect = session.get_bind().dialect.name
    query = (
        select(orm.Flow)
        .where(*_scope(request, dialect))
        .order_by(*_SORTS[request.sort], orm.Flow.id)
        .limit(request.limit)
        .offset(request.offset)
    )
    return list((session.execute(query)).scalars())


def count_flows(session: Session, request: CountRequest) -> int:
    dialect = session.get_bind().dialect.name
    query = select(func.count()).select_from(orm.Flow).where(*_scope(request, dialect))
    return int((session.execute(query)).scalar_one())


def _scope(request: FlowReadRequest | CountRequest, dialect: str) -> list:
    return run_scope(
        dialect,
        flows=request.flows,
        flow_runs=request.flow_runs,
        task_runs=request.task_runs,
        deployments=getattr(request, "deployments", None),
        target=orm.Flow,
    )


def update_flow(session: Session, flow_id: UUID, update: actions.FlowUpdate) -> None:
    row = read_flow(session, flow_id)
    if update.tags is not None:
        row.tags = update.tags


def delete_flow(session: Session, flow_id: UUID) -> None:
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        delete(orm.Flow).where(orm.Flow.id == flow_id)
    )
    if result.rowcount == 0:
        raise NotFound.of("Flow", flow_id)
