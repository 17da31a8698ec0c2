"""Creating a deployment's scheduled runs ahead of time, at most one per instant.

Each auto-scheduled run carries the idempotency key ``scheduled
{deployment_id} {time}``; ``flow_run`` has a unique index on ``(flow_id,
idempotency_key)`` and runs are inserted with ``ON CONFLICT DO NOTHING``, so
however many schedules, redeploys or server replicas produce the same
instant, the database keeps one run for it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast
from uuid import UUID

from pydantic import TypeAdapter
from sqlalchemy import CursorResult, Table, delete, insert, select
from sqlalchemy.orm import Session

from podium._ids import new_uuid
from podium.schedules import SCHEDULE_TYPES
from podium.schemas.states import StateType
from podium.server.database import orm
from podium.server.models._sql import upsert
from podium.server.models.job_variables import merge_parameters
from podium.server.models.names import generate_run_name
from podium.settings import Settings

AUTO_SCHEDULED_TAG = "auto-scheduled"
_SCHEDULE = TypeAdapter(SCHEDULE_TYPES)
_CHUNK = 100
_FLOW_RUN = cast(Table, orm.FlowRun.__table__)
_FLOW_RUN_STATE = cast(Table, orm.FlowRunState.__table__)


@dataclass(frozen=True, slots=True)
class Horizon:
    """How far ahead runs are created: up to ``max_runs`` within ``max_time``,
    and never fewer than ``min_runs`` (however far ahead they fall)."""

    max_runs: int = 100
    min_runs: int = 3
    max_time: dt.timedelta = dt.timedelta(days=100)

    @classmethod
    def from_settings(cls, settings: Settings) -> Horizon:
        return cls(
            max_runs=settings.scheduler_max_runs,
            min_runs=settings.scheduler_min_runs,
            max_time=dt.timedelta(days=settings.scheduler_max_scheduled_time),
        )


def scheduled_key(deployment_id: UUID, when: dt.datetime) -> str:
    """The idempotency key of the auto-scheduled run of a deployment at ``when``."""
    return f"scheduled {deployment_id} {when.astimezone(dt.UTC).isoformat()}"


def planned_dates(
    schedule: Any, now: dt.datetime, horizon: Horizon, max_runs: int | None = None
) -> list[dt.datetime]:
    """The instants a schedule should have runs for, from ``now``."""
    most = min(horizon.max_runs, max_runs or horizon.max_runs)
    dates: list[dt.datetime] = schedule.get_dates(n=most, start=now, end=now + horizon.max_time)
    fewest = min(horizon.min_runs, most)
    if len(dates) < fewest:
        dates = schedule.get_dates(n=fewest, start=now)
    return dates


def schedule_runs(
    session: Session, deployment: orm.Deployment, *, now: dt.datetime, horizon: Horizon
) -> int:
    """Create the missing auto-scheduled runs of an unpaused deployment; how many."""
    if deployment.paused:
        return 0
    created = 0
    for row in deployment.schedules:
        if not row.active:
            continue
        schedule = _SCHEDULE.validate_python(row.schedule)
        dates = planned_dates(schedule, now, horizon, row.max_scheduled_runs)
        parameters = merge_parameters(deployment.parameters, row.parameters)
        created += insert_scheduled_runs(session, deployment, dates, parameters, now=now)
    return created


def insert_scheduled_runs(
    session: Session,
    deployment: orm.Deployment,
    dates: Iterable[dt.datetime],
    parameters: dict[str, Any],
    *,
    now: dt.datetime,
) -> int:
    """Insert a Scheduled run per date that has none yet; how many were inserted."""
    wanted = {scheduled_key(deployment.id, when): when for when in dates}
    inserted = 0
    keys = list(wanted)
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        existing = set(
            session.execute(
                select(orm.FlowRun.idempotency_key).where(
                    orm.FlowRun.flow_id == deployment.flow_id,
                    orm.FlowRun.idempotency_key.in_(chunk),
                )
            ).scalars()
        )
        missing = [key for key in chunk if key not in existing]
        if missing:
            inserted += _insert(
                session, deployment, {k: wanted[k] for k in missing}, parameters, now
            )
    return inserted


def _insert(
    session: Session,
    deployment: orm.Deployment,
    runs: dict[str, dt.datetime],
    parameters: dict[str, Any],
    now: dt.datetime,
) -> int:
    rows: list[dict[str, Any]] = []
    states: dict[UUID, dict[str, Any]] = {}
    tags = [
        *deployment.tags,
        *([] if AUTO_SCHEDULED_TAG in deployment.tags else [AUTO_SCHEDULED_TAG]),
    ]
    for key, when in runs.items():
        run_id, state_id = new_uuid(), new_uuid()
        rows.append(
            {
                "id": run_id,
                "created": now,
                "updated": now,
                "name": generate_run_name(),
                "flow_id": deployment.flow_id,
                "deployment_id": deployment.id,
                "deployment_version": deployment.version,
                "parameters": parameters,
                "idempotency_key": key,
                "context": {},
                "tags": tags,
                "labels": dict(deployment.labels or {}),
                "empirical_policy": {},
                "work_queue_name": deployment.work_queue_name,
                "work_queue_id": deployment.work_queue_id,
                "work_pool_name": deployment.work_pool_name,
                "job_variables": {},
                "auto_scheduled": True,
                "run_count": 0,
                "total_run_time": dt.timedelta(0),
                "state_id": state_id,
                "state_type": StateType.SCHEDULED.value,
                "state_name": "Scheduled",
                "state_timestamp": now,
                "expected_start_time": when,
                "next_scheduled_start_time": when,
            }
        )
        states[run_id] = {
            "id": state_id,
            "flow_run_id": run_id,
            "type": StateType.SCHEDULED.value,
            "name": "Scheduled",
            "timestamp": now,
            "message": None,
            "state_details": _details(run_id, when),
            "data": None,
        }
    # One cached statement run with many parameter sets (SQLAlchemy batches
    # them into multi-row INSERTs), on the tables rather than the ORM classes:
    # compiling a fresh multi-row VALUES per call dominated the pass.
    statement = (
        upsert(session, _FLOW_RUN)
        .on_conflict_do_nothing(index_elements=["flow_id", "idempotency_key"])
        .returning(_FLOW_RUN.c.id)
    )
    inserted = list(session.execute(statement, rows).scalars())
    if inserted:
        session.execute(insert(_FLOW_RUN_STATE), [states[run_id] for run_id in inserted])
    return len(inserted)


def _details(run_id: UUID, when: dt.datetime) -> dict[str, Any]:
    return {
        "flow_run_id": str(run_id),
        "scheduled_time": when.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "untrackable_result": False,
        "pause_reschedule": False,
    }


def delete_auto_scheduled_runs(session: Session, deployment_id: UUID) -> int:
    """Delete the deployment's auto-scheduled runs that have not started; how many.

    Runs still Scheduled (including Late) and never run are removed; a run a
    worker already claimed (Pending or later) or one awaiting a retry is kept.
    """
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        delete(orm.FlowRun)
        .where(
            orm.FlowRun.deployment_id == deployment_id,
            orm.FlowRun.auto_scheduled.is_(True),
            orm.FlowRun.state_type == StateType.SCHEDULED.value,
            orm.FlowRun.run_count == 0,
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
