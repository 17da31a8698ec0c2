"""A migrated, empty database per test (SQLite and PostgreSQL), and helpers to fill it."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from podium.schemas.actions import FlowCreate
from podium.schemas.deployments import DeploymentCreate
from podium.server.database import Database, orm, upgrade
from podium.server.models import deployments, flows
from podium.server.models.scheduling import Horizon
from podium.settings import Settings

T0 = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.UTC)
HORIZON = Horizon(max_runs=10, min_runs=3, max_time=dt.timedelta(days=100))


async def clear(db: Database) -> None:
    def _truncate(connection: Any) -> None:
        for table in reversed(orm.Base.metadata.sorted_tables):
            connection.execute(table.delete())

    await db.run_connection(_truncate)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await upgrade(database)
    await clear(database)
    yield database
    await database.dispose()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        services_enabled=False,
        scheduler_max_runs=HORIZON.max_runs,
        scheduler_min_runs=HORIZON.min_runs,
    )


MakeDeployment = Callable[..., Awaitable[orm.Deployment]]


@pytest.fixture
def make_deployment(db: Database) -> MakeDeployment:
    """``await make_deployment(name=..., schedules=[...], ...)``: a deployment of flow 'etl'
    created at T0 (its schedules' runs created up to 10 ahead)."""

    async def _make_deployment(now: dt.datetime = T0, **fields: Any) -> orm.Deployment:
        def _make(session: Any) -> orm.Deployment:
            flow, _ = flows.create_flow(session, FlowCreate(name="etl"))
            session.flush()
            create = DeploymentCreate(name=fields.pop("name", "d"), flow_id=flow.id, **fields)
            row, _ = deployments.create_deployment(session, create, now=now, horizon=HORIZON)
            session.flush()
            return row

        return await db.write(_make)

    return _make_deployment
