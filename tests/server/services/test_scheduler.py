"""The scheduler service: idempotent, replaces runs on change, one run per instant."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from podium.schedules import IntervalSchedule
from podium.schemas.deployments import DeploymentScheduleCreate, DeploymentUpdate
from podium.server.database import Database, orm
from podium.server.models import deployments, scheduling
from podium.server.models.scheduling import Horizon
from podium.server.services import Scheduler
from podium.settings import Settings

HOURLY = {"schedule": {"interval": 3600, "anchor_date": "2020-01-01T00:00:00Z"}}

T0 = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.UTC)
HORIZON = Horizon(max_runs=10, min_runs=3, max_time=dt.timedelta(days=100))


async def scheduled_times(db: Database, deployment_id: Any) -> list[dt.datetime]:
    def _read(session: Any) -> list[dt.datetime]:
        query = (
            select(orm.FlowRun.next_scheduled_start_time)
            .where(orm.FlowRun.deployment_id == deployment_id)
            .order_by(orm.FlowRun.next_scheduled_start_time)
        )
        return list(session.execute(query).scalars())

    return await db.read(_read)


async def forget_runs(db: Database, deployment_id: Any) -> None:
    await db.write(scheduling.delete_auto_scheduled_runs, deployment_id)


async def test_run_once_creates_missing_runs_and_is_idempotent(
    db: Database, make_deployment: Any, settings: Settings
) -> None:
    deployment = await make_deployment(schedules=[HOURLY])
    await forget_runs(db, deployment.id)
    scheduler = Scheduler(db, settings)

    first = await scheduler.run_once(now=T0)
    second = await scheduler.run_once(now=T0)
    later = await scheduler.run_once(now=T0 + dt.timedelta(minutes=90))

    times = await scheduled_times(db, deployment.id)
    assert first == 10
    assert second == 0
    assert later == 2  # from T0+2h, the next ten runs reach T0+11h
    assert times[0] == T0
    assert len(times) == len(set(times)) == 12


async def test_min_runs_reach_past_the_time_horizon(
    db: Database, make_deployment: Any, settings: Settings
) -> None:
    yearly = {"schedule": {"rrule": "FREQ=YEARLY;BYMONTH=6;BYMONTHDAY=1"}}
    deployment = await make_deployment(schedules=[yearly])
    await forget_runs(db, deployment.id)

    assert await Scheduler(db, settings).run_once(now=T0) == 3


async def test_paused_deployment_and_inactive_schedule_get_no_runs(
    db: Database, make_deployment: Any, settings: Settings
) -> None:
    paused = await make_deployment(name="paused", paused=True, schedules=[HOURLY])
    inactive = await make_deployment(name="inactive", schedules=[{**HOURLY, "active": False}])

    assert await Scheduler(db, settings).run_once(now=T0) == 0
    assert await scheduled_times(db, paused.id) == []
    assert await scheduled_times(db, inactive.id) == []


async def test_schedule_change_replaces_future_runs(
    db: Database, make_deployment: Any, settings: Settings
) -> None:
    deployment = await make_deployment(schedules=[HOURLY])
    every_two = DeploymentScheduleCreate(schedule=IntervalSchedule(interval=7200, anchor_date=T0))

    await db.write(
        deployments.update_deployment,
        deployment.id,
        DeploymentUpdate(schedules=[every_two]),
        now=T0,
        horizon=HORIZON,
    )
    assert await Scheduler(db, settings).run_once(now=T0) == 0

    times = await scheduled_times(db, deployment.id)
    assert len(times) == 10
    assert all((t - T0).total_seconds() % 7200 == 0 for t in times)


async def test_two_schedules_on_the_same_instant_make_one_run(
    db: Database, make_deployment: Any, settings: Settings
) -> None:
    on_the_hour = {"schedule": {"cron": "0 * * * *"}}
    deployment = await make_deployment(schedules=[HOURLY, on_the_hour])
    await forget_runs(db, deployment.id)

    await Scheduler(db, settings).run_once(now=T0)

    times = await scheduled_times(db, deployment.id)
    assert len(times) == len(set(times)) == 10


async def test_the_database_refuses_a_second_run_for_an_instant(
    db: Database, make_deployment: Any
) -> None:
    deployment = await make_deployment()
    instants = [T0 + dt.timedelta(hours=h) for h in range(5)]

    def _insert_twice(session: Any) -> tuple[int, int]:
        row = session.get(orm.Deployment, deployment.id)
        keys = {scheduling.scheduled_key(row.id, t): t for t in instants}
        # Straight to the INSERT ... ON CONFLICT DO NOTHING, past the read-ahead check.
        first = scheduling._insert(session, row, keys, {}, T0)
        second = scheduling._insert(session, row, keys, {}, T0)
        return first, second

    assert await db.write(_insert_twice) == (5, 0)
    assert len(await scheduled_times(db, deployment.id)) == 5


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_two_schedulers_on_one_postgres_never_duplicate(
    db: Database, make_deployment: Any, settings: Settings, database_url: str
) -> None:
    deployments_ = [
        await make_deployment(name=f"d{i}", schedules=[HOURLY, {"schedule": {"cron": "0 * * * *"}}])
        for i in range(5)
    ]
    other = Database(database_url)
    try:
        for round_ in range(5):
            for deployment in deployments_:
                await forget_runs(db, deployment.id)
            now = T0 + dt.timedelta(minutes=7 * round_)
            await asyncio.gather(
                Scheduler(db, settings).run_once(now=now),
                Scheduler(other, settings).run_once(now=now),
                Scheduler(other, settings).run_once(now=now),
            )

            def _count(session: Any) -> tuple[int, int]:
                runs = select(func.count()).select_from(orm.FlowRun)
                keys = select(func.count(func.distinct(orm.FlowRun.idempotency_key)))
                return session.execute(runs).scalar_one(), session.execute(keys).scalar_one()

            total, distinct = await db.read(_count)
            assert total == distinct == 5 * 10
    finally:
        await other.dispose()
