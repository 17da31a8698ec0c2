"""Timestamps are stored as instants and come back timezone-aware in UTC, on both databases."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import Interval, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from podium.server.database import Database, orm, upgrade
from podium.server.database.types import sqlite_interval

EAST = dt.timezone(dt.timedelta(hours=5, minutes=30))
WEST = dt.timezone(dt.timedelta(hours=-8))
INSTANT = dt.datetime(2024, 3, 10, 9, 15, 30, 123456, tzinfo=dt.UTC)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await upgrade(database)
    yield database
    await database.run_connection(lambda c: c.execute(orm.Log.__table__.delete()))
    await database.dispose()


def _add_log(session: Session, name: str, at: dt.datetime) -> None:
    session.add(orm.Log(name=name, level=20, message=name, timestamp=at))


def _read_log(session: Session, name: str) -> dt.datetime:
    return session.execute(select(orm.Log.timestamp).where(orm.Log.name == name)).scalar_one()


@pytest.mark.parametrize(
    "written",
    [INSTANT, INSTANT.astimezone(EAST), INSTANT.astimezone(WEST), INSTANT.replace(tzinfo=None)],
    ids=["utc", "east", "west", "naive-taken-as-utc"],
)
async def test_timestamps_come_back_as_utc_instants(db: Database, written: dt.datetime) -> None:
    await db.write(_add_log, "t", written)

    read = await db.read(_read_log, "t")

    assert read.tzinfo is not None
    assert read.utcoffset() == dt.timedelta(0)
    assert read == INSTANT
    assert read.isoformat() == "2024-03-10T09:15:30.123456+00:00"


async def test_time_filters_compare_instants_across_zones(db: Database) -> None:
    await db.write(_add_log, "early", INSTANT)
    await db.write(_add_log, "late", INSTANT + dt.timedelta(hours=2))
    boundary = (INSTANT + dt.timedelta(hours=1)).astimezone(WEST)

    def _after(session: Session) -> list[str]:
        query = select(orm.Log.name).where(orm.Log.timestamp >= boundary)
        return list(session.execute(query).scalars())

    assert await db.read(_after) == ["late"]


async def test_server_defaults_are_utc_too(db: Database) -> None:
    before = dt.datetime.now(dt.UTC)
    # Raw SQL, so that the database's own default fills ``created``.
    insert = text(
        "INSERT INTO flow (id, name, tags, labels) "
        "VALUES ('00000000000000000000000000000001', 'defaults', '[]', '{}')"
    )
    await db.run_connection(lambda c: c.execute(insert))

    created = await db.read(
        lambda s: s.execute(
            select(orm.Flow.created).where(orm.Flow.name == "defaults")
        ).scalar_one()
    )
    await db.run_connection(lambda c: c.execute(orm.Flow.__table__.delete()))

    assert created.utcoffset() == dt.timedelta(0)
    assert abs(created - before) < dt.timedelta(minutes=1)


async def test_api_answers_with_utc_timestamps(api: httpx.AsyncClient) -> None:
    flow = (await api.post("/flows/", json={"name": "tz"})).json()
    run = (await api.post("/flow_runs/", json={"flow_id": flow["id"]})).json()
    started = INSTANT.astimezone(EAST).isoformat()

    await api.post(
        f"/flow_runs/{run['id']}/set_state",
        json={"state": {"type": "RUNNING", "timestamp": started}},
    )
    stored = (await api.get(f"/flow_runs/{run['id']}")).json()

    for value in (stored["created"], stored["updated"], stored["start_time"]):
        parsed = dt.datetime.fromisoformat(value)
        assert parsed.utcoffset() == dt.timedelta(0), value
    assert dt.datetime.fromisoformat(stored["start_time"]) == INSTANT
    assert stored["start_time"].startswith("2024-03-10T09:15:30.123456")


@pytest.mark.parametrize(
    "duration",
    [
        dt.timedelta(0),
        dt.timedelta(microseconds=1),
        dt.timedelta(hours=4, seconds=1, microseconds=499_999),
        dt.timedelta(days=40_000, microseconds=7),
    ],
)
def test_the_batch_writes_intervals_as_sqlalchemy_does(duration: dt.timedelta) -> None:
    dialect = sqlite.dialect()
    stored_by_sqlalchemy = Interval().dialect_impl(dialect).bind_processor(dialect)
    assert stored_by_sqlalchemy is not None

    assert sqlite_interval(duration) == stored_by_sqlalchemy(duration)
