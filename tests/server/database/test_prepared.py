"""Prepared statements store and read values exactly as SQLAlchemy's typed path does.

On SQLite they run on the driver's connection with the column types' own processors;
elsewhere through SQLAlchemy. Either way a row written with one and read with the
other must come back the same, value for value (UUIDs, aware timestamps, intervals,
JSON, nulls).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Any, cast

import pytest
from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from podium.server.database import Database, orm, upgrade
from podium.server.database.prepared import Prepared

FLOWS = cast(Table, orm.Flow.__table__)
RUNS = cast(Table, orm.FlowRun.__table__)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url, timeout=10)
    await upgrade(database)
    yield database
    await database.dispose()


def _run_values(flow_id: uuid.UUID) -> dict[str, Any]:
    now = dt.datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=dt.UTC)
    return {
        "id": uuid.uuid4(),
        "created": now,
        "updated": now,
        "name": "prepared-run",
        "flow_id": flow_id,
        "parameters": {"n": 1, "nested": {"xs": [1.5, None, "s"]}},
        "context": {},
        "job_variables": {},
        "tags": ["a", "b"],
        "labels": {"k": "v"},
        "empirical_policy": {"retries": 2, "retry_delay": 3},
        "run_count": 1,
        "total_run_time": dt.timedelta(seconds=1, microseconds=5),
        "start_time": now - dt.timedelta(hours=1),
        "expected_start_time": dt.datetime(
            2026, 3, 4, 1, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5))
        ),
        "end_time": None,
        "auto_scheduled": False,
    }


def _flow(session: Session) -> uuid.UUID:
    flow_id = uuid.uuid4()
    session.execute(insert(FLOWS), {"id": flow_id, "name": f"flow-{flow_id.hex[:8]}"})
    return flow_id


_INSERT_RUN = Prepared(insert(RUNS))
_READ_RUN = Prepared(select(RUNS).where(RUNS.c.id == bindparam("run_id")))
_FINISH_RUN = Prepared(update(RUNS).where(RUNS.c.id == bindparam("run_id")))


def _write_prepared(session: Session) -> dict[str, Any]:
    values = _run_values(_flow(session))
    _INSERT_RUN.run(session, values)
    return values


async def _read_prepared(db: Database, run_id: uuid.UUID) -> dict[str, Any] | None:
    """The run's row read with the prepared query, by column name."""
    row = await db.read(lambda session: _READ_RUN.first(session, {"run_id": run_id}))
    return None if row is None else dict(zip([c.name for c in RUNS.columns], row, strict=True))


async def test_a_row_written_prepared_reads_back_as_sqlalchemy_reads_it(db: Database) -> None:
    values = await db.write(_write_prepared)

    def read_typed(session: Session) -> dict[str, Any]:
        row = session.execute(select(RUNS).where(RUNS.c.id == values["id"])).one()
        return dict(row._mapping)

    typed = await db.read(read_typed)
    for column, value in values.items():
        assert typed[column] == value, column

    assert await _read_prepared(db, values["id"]) == typed


async def test_a_row_written_by_sqlalchemy_reads_back_prepared(db: Database) -> None:
    def write(session: Session) -> dict[str, Any]:
        values = _run_values(_flow(session))
        session.execute(insert(RUNS), values)
        return values

    values = await db.write(write)
    read = await _read_prepared(db, values["id"])
    assert read is not None
    for column, value in values.items():
        assert read[column] == value, column
    assert read["end_time"] is None and read["deployment_id"] is None


async def test_an_update_sets_only_the_columns_given(db: Database) -> None:
    values = await db.write(_write_prepared)
    ended = dt.datetime(2026, 3, 4, 6, 0, tzinfo=dt.UTC)

    def finish(session: Session) -> None:
        _FINISH_RUN.run(
            session,
            {"run_id": values["id"], "end_time": ended, "run_count": 2, "updated": ended},
        )

    await db.write(finish)
    read = await _read_prepared(db, values["id"])
    assert read is not None
    assert (read["end_time"], read["run_count"], read["updated"]) == (ended, 2, ended)
    assert read["parameters"] == values["parameters"] and read["tags"] == ["a", "b"]


async def test_a_missing_row_reads_as_none(db: Database) -> None:
    assert await _read_prepared(db, uuid.uuid4()) is None


async def test_a_statement_needing_a_value_nobody_gave_is_refused_by_name(db: Database) -> None:
    # ``updated`` has a Python-side update default, which only SQLAlchemy's own
    # execution would compute: a prepared update must be given it.
    def update_without_it(session: Session) -> None:
        _FINISH_RUN.run(session, {"run_id": uuid.uuid4(), "name": "renamed"})

    if db.is_sqlite:
        with pytest.raises(ValueError, match=r"needs parameters \['updated'\]"):
            await db.write(update_without_it)
    else:
        await db.write(update_without_it)  # SQLAlchemy's own path fills it in
