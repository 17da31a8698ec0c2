"""Routes for deployments, their schedules, and runs made from them."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from fastapi import APIRouter, Request, Response, status
from sqlalchemy.orm import Session

from podium.schemas import core
from podium.schemas.deployments import (
    Deployment,
    DeploymentCountRequest,
    DeploymentCreate,
    DeploymentFlowRunCreate,
    DeploymentReadRequest,
    DeploymentSchedule,
    DeploymentScheduleCreate,
    DeploymentScheduledRunsRequest,
    DeploymentScheduleUpdate,
    DeploymentUpdate,
)
from podium.server.api._polling import NotifierDep, long_poll, notify_work
from podium.server.api.deps import DbDep, SettingsDep
from podium.server.models import deployments as models
from podium.server.models.scheduling import Horizon

router = APIRouter(prefix="/deployments", tags=["deployments"])


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@router.post("/", status_code=status.HTTP_201_CREATED)
async def create_deployment(
    deployment: DeploymentCreate,
    db: DbDep,
    settings: SettingsDep,
    request: Request,
    response: Response,
) -> Deployment:
    """Create a deployment, or replace the one with the same flow and name (200).

    Its schedules' next runs are created at once; a redeploy replaces the
    runs it had scheduled and that have not started.
    """
    horizon = Horizon.from_settings(settings)

    def _create(session: Session) -> tuple[Deployment, bool]:
        row, created = models.create_deployment(session, deployment, now=_now(), horizon=horizon)
        session.flush()
        return Deployment.model_validate(row), created

    result, created = await db.write(_create)
    if not created:
        response.status_code = status.HTTP_200_OK
    notify_work(request.app)
    return result


@router.get("/name/{flow_name}/{deployment_name}")
async def read_deployment_by_name(flow_name: str, deployment_name: str, db: DbDep) -> Deployment:
    return await db.read(
        lambda s: Deployment.model_validate(
            models.read_deployment_by_name(s, flow_name, deployment_name)
        )
    )


@router.get("/{id}")
async def read_deployment(id: UUID, db: DbDep) -> Deployment:
    return await db.read(lambda s: Deployment.model_validate(models.read_deployment(s, id)))


@router.post("/filter")
async def read_deployments(
    db: DbDep, request: DeploymentReadRequest | None = None
) -> list[Deployment]:
    query = request or DeploymentReadRequest()
    return await db.read(
        lambda s: [Deployment.model_validate(row) for row in models.read_deployments(s, query)]
    )


@router.post("/count")
async def count_deployments(db: DbDep, request: DeploymentCountRequest | None = None) -> int:
    return await db.read(models.count_deployments, request or DeploymentCountRequest())


@router.post("/get_scheduled_flow_runs")
async def get_scheduled_flow_runs_for_deployments(
    body: DeploymentScheduledRunsRequest, db: DbDep, notifier: NotifierDep
) -> list[core.FlowRun]:
    """Due runs of these deployments, earliest first (what a runner polls).

    With ``wait_seconds``, an empty answer waits until a run is due (long poll).
    """
    await db.write(models.mark_deployments_polled, body.deployment_ids, now=_now())

    def _read(session: Session) -> list[core.FlowRun]:
        rows = models.get_scheduled_flow_runs(
            session,
            body.deployment_ids,
            scheduled_before=body.scheduled_before,
            limit=body.limit,
            now=_now(),
        )
        return [core.FlowRun.model_validate(row) for row in rows]

    async def _look() -> list[core.FlowRun]:
        return await db.read(_read)

    return await long_poll(notifier, _look, body.wait_seconds)


@router.patch("/{id}", status_code=status.HTTP_204_NO_CONTENT)
async def update_deployment(
    id: UUID, deployment: DeploymentUpdate, db: DbDep, settings: SettingsDep, request: Request
) -> None:
    horizon = Horizon.from_settings(settings)
    await db.write(models.update_deployment, id, deployment, now=_now(), horizon=horizon)
    notify_work(request.app)


@router.delete("/{id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_deployment(id: UUID, db: DbDep) -> None:
    await db.write(models.delete_deployment, id)


@router.post("/{id}/pause_deployment")
async def pause_deployment(id: UUID, db: DbDep, settings: SettingsDep) -> None:
    """Stop scheduling runs; the runs it scheduled that have not started are deleted."""
    horizon = Horizon.from_settings(settings)
    await db.write(models.set_paused, id, True, now=_now(), horizon=horizon)


@router.post("/{id}/resume_deployment")
async def resume_deployment(id: UUID, db: DbDep, settings: SettingsDep, request: Request) -> None:
    """Schedule runs again, from now."""
    horizon = Horizon.from_settings(settings)
    await db.write(models.set_paused, id, False, now=_now(), horizon=horizon)
    notify_work(request.app)


@router.post("/{id}/create_flow_run", status_code=status.HTTP_201_CREATED)
async def create_flow_run_from_deployment(
    id: UUID, flow_run: DeploymentFlowRunCreate, db: DbDep, request: Request, response: Response
) -> core.FlowRun:
    """Create a run of the deployment (Scheduled for now unless ``state`` says otherwise).

    Parameters overlay the deployment's defaults and must fit its parameter
    schema; job variables, merged with the pool's defaults and the
    deployment's, must fit the pool's schema: otherwise 422, naming each one.
    With an ``idempotency_key`` already used, the existing run comes back (200).
    """

    def _create(session: Session) -> tuple[core.FlowRun, bool]:
        row, created = models.create_flow_run_from_deployment(session, id, flow_run, now=_now())
        session.flush()
        return core.FlowRun.model_validate(row), created

    result, created = await db.write(_create)
    if not created:
        response.status_code = status.HTTP_200_OK
    notify_work(request.app)
    return result


# --- schedules ------------------------------------------------------------------


@router.post("/{id}/schedules", status_code=status.HTTP_201_CREATED)
async def create_deployment_schedules(
    id: UUID, schedules: list[DeploymentScheduleCreate], db: DbDep, settings: SettingsDep
) -> list[DeploymentSchedule]:
    horizon = Horizon.from_settings(settings)

    def _create(session: Session) -> list[DeploymentSchedule]:
        rows = models.create_deployment_schedules(
            session, id, schedules, now=_now(), horizon=horizon
        )
        session.flush()
        return [DeploymentSchedule.model_validate(row) for row in rows]

    return await db.write(_create)


@router.get("/{id}/schedules")
async def read_deployment_schedules(id: UUID, db: DbDep) -> list[DeploymentSchedule]:
    return await db.read(
        lambda s: [
            DeploymentSchedule.model_validate(x) for x in models.read_deployment(s, id).schedules
        ]
    )


@router.patch("/{id}/schedules/{schedule_id}", status_code=status.HTTP_204_NO_CONTENT)
async def update_deployment_schedule(
    id: UUID,
    schedule_id: UUID,
    schedule: DeploymentScheduleUpdate,
    db: DbDep,
    settings: SettingsDep,
) -> None:
    horizon = Horizon.from_settings(settings)
    await db.write(
        models.update_deployment_schedule, id, schedule_id, schedule, now=_now(), horizon=horizon
    )


@router.delete("/{id}/schedules/{schedule_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_deployment_schedule(
    id: UUID, schedule_id: UUID, db: DbDep, settings: SettingsDep
) -> None:
    horizon = Horizon.from_settings(settings)
    await db.write(models.delete_deployment_schedule, id, schedule_id, now=_now(), horizon=horizon)
