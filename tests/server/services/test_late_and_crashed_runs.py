"""Late runs, crash detection and cancellation cleanup, with a clock we move by hand."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from podium.schemas.actions import FlowCreate, FlowRunCreate, TaskRunCreate
from podium.schemas.core import FlowRunPolicy
from podium.schemas.deployments import DeploymentFlowRunCreate
from podium.schemas.states import StateCreate, StateType
from podium.server.database import Database, orm
from podium.server.models import deployments, flow_runs, flows, task_runs
from podium.server.services import CancellationCleanup, CrashedRuns, LateRuns
from podium.settings import Settings

T0 = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.UTC)


def seconds(n: float) -> dt.timedelta:
    return dt.timedelta(seconds=n)


async def flow_run(db: Database, run_id: UUID) -> orm.FlowRun:
    return await db.read(flow_runs.read_flow_run, run_id)


async def propose(db: Database, run_id: UUID, type_: StateType, at: dt.datetime) -> str:
    result = await db.write(flow_runs.set_flow_run_state, run_id, StateCreate(type=type_), now=at)
    return result.status.value


async def running_run(db: Database, at: dt.datetime, **fields: Any) -> orm.FlowRun:
    def _make(session: Any) -> orm.FlowRun:
        flow, _ = flows.create_flow(session, FlowCreate(name="adhoc"))
        session.flush()
        create = FlowRunCreate(flow_id=flow.id, state=StateCreate(type=StateType.RUNNING), **fields)
        row, _ = flow_runs.create_flow_run(session, create, now=at)
        return row

    return await db.write(_make)


async def test_scheduled_runs_become_late_after_the_threshold(
    db: Database, make_deployment: Any, settings: Settings
) -> None:
    deployment = await make_deployment()
    run, _ = await db.write(
        deployments.create_flow_run_from_deployment,
        deployment.id,
        DeploymentFlowRunCreate(),
        now=T0,
    )
    service = LateRuns(db, settings)

    assert await service.run_once(now=T0 + seconds(10)) == 0
    assert await service.run_once(now=T0 + seconds(20)) == 1
    assert await service.run_once(now=T0 + seconds(30)) == 0

    late = await flow_run(db, run.id)
    assert (late.state_type, late.state_name) == ("SCHEDULED", "Late")
    assert late.next_scheduled_start_time == T0
    assert late.state.state_details["scheduled_time"].startswith("2030-01-01T12:00:00")


async def test_silent_running_runs_crash_and_their_tasks_too(
    db: Database, make_deployment: Any, settings: Settings
) -> None:
    run = await running_run(db, T0)

    def _task(session: Any) -> orm.TaskRun:
        create = TaskRunCreate(
            task_key="t", dynamic_key="0", flow_run_id=run.id, state=StateCreate(type="RUNNING")
        )
        return task_runs.create_task_run(session, create, now=T0)[0]

    task = await db.write(_task)
    service = CrashedRuns(db, settings)

    assert await service.run_once(now=T0 + seconds(60)) == 0
    await db.write(flow_runs.heartbeat_flow_run, run.id, now=T0 + seconds(80))
    assert await service.run_once(now=T0 + seconds(150)) == 0  # heartbeat 70s ago
    assert await service.run_once(now=T0 + seconds(171)) == 2

    crashed = await flow_run(db, run.id)
    assert crashed.state_type == "CRASHED"
    assert "heartbeat" in crashed.state.message
    assert (await db.read(task_runs.read_task_run, task.id)).state_type == "CRASHED"


async def test_crashed_deployment_run_with_retries_left_is_retried(
    db: Database, make_deployment: Any, settings: Settings
) -> None:
    deployment = await make_deployment()
    run, _ = await db.write(
        deployments.create_flow_run_from_deployment,
        deployment.id,
        DeploymentFlowRunCreate(empirical_policy=FlowRunPolicy(retries=1)),
        now=T0,
    )
    assert await propose(db, run.id, StateType.PENDING, T0) == "ACCEPT"
    assert await propose(db, run.id, StateType.RUNNING, T0) == "ACCEPT"

    assert await CrashedRuns(db, settings).run_once(now=T0 + seconds(91)) == 1

    retried = await flow_run(db, run.id)
    assert (retried.state_type, retried.state_name) == ("SCHEDULED", "AwaitingRetry")


async def test_stale_cancelling_runs_are_cancelled_with_their_children(
    db: Database, make_deployment: Any, settings: Settings
) -> None:
    parent = await running_run(db, T0)
    child = await running_run(db, T0, parent_flow_run_id=parent.id)

    def _task(session: Any, state: str) -> orm.TaskRun:
        create = TaskRunCreate(
            task_key=state, dynamic_key="0", flow_run_id=parent.id, state=StateCreate(type=state)
        )
        return task_runs.create_task_run(session, create, now=T0)[0]

    running_task = await db.write(_task, "RUNNING")
    done_task = await db.write(_task, "COMPLETED")

    assert await propose(db, parent.id, StateType.CANCELLING, T0 + seconds(1)) == "ACCEPT"
    assert (await flow_run(db, child.id)).state_type == "CANCELLED"
    assert (await db.read(task_runs.read_task_run, running_task.id)).state_type == "CANCELLED"
    assert (await db.read(task_runs.read_task_run, done_task.id)).state_type == "COMPLETED"

    service = CancellationCleanup(db, settings)
    assert await service.run_once(now=T0 + seconds(100)) == 0
    assert await service.run_once(now=T0 + seconds(302)) == 1
    assert (await flow_run(db, parent.id)).state_type == "CANCELLED"


async def test_subflow_from_a_deployment_is_asked_to_cancel(
    db: Database, make_deployment: Any
) -> None:
    parent = await running_run(db, T0)
    deployment = await make_deployment()
    child, _ = await db.write(
        deployments.create_flow_run_from_deployment,
        deployment.id,
        DeploymentFlowRunCreate(parent_flow_run_id=parent.id),
        now=T0,
    )
    await propose(db, child.id, StateType.PENDING, T0)
    await propose(db, child.id, StateType.RUNNING, T0)

    assert await propose(db, parent.id, StateType.CANCELLED, T0 + seconds(1)) == "ACCEPT"

    assert (await flow_run(db, child.id)).state_type == "CANCELLING"
