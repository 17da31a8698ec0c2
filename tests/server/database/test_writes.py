"""SQLite writes: short ones at once when the write lock is free, all in line behind it
when it is not.

Another process on the same file may hold the write lock (here a plain
``sqlite3`` connection stands in for it). A write then waits for the lock on
the writer thread, the event loop keeps serving, and the write lands once the
lock is released: nobody sees "database is locked".
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from podium.server.database import Database, orm, upgrade


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'podium.db'}", timeout=10)
    await upgrade(database)
    yield database
    await database.dispose()


def _add_log(session: Session, name: str) -> str:
    session.add(orm.Log(name=name, level=20, message=name, timestamp=dt.datetime.now(dt.UTC)))
    return name


# Both ways in: ``write`` (always the writer thread) and ``write_short`` (at once on the
# loop when the lock is free).
WAYS = pytest.mark.parametrize("way", ["write", "write_short"])


def _count_logs(session: Session) -> int:
    return session.execute(select(func.count()).select_from(orm.Log)).scalar_one()


@WAYS
async def test_write_with_the_lock_free_lands_at_once(db: Database, way: str) -> None:
    assert await getattr(db, way)(_add_log, "first") == "first"

    assert await db.read(_count_logs) == 1


@WAYS
async def test_write_waits_for_a_lock_held_elsewhere_without_blocking_the_loop(
    db: Database, way: str
) -> None:
    assert db.url.database is not None
    other = sqlite3.connect(db.url.database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        write = asyncio.create_task(getattr(db, way)(_add_log, "queued"))
        ticks = 0
        for _ in range(10):
            await asyncio.sleep(0.01)
            ticks += 1
        assert ticks == 10  # the loop kept running while the write waited
        assert not write.done()
        later = asyncio.create_task(getattr(db, way)(_add_log, "behind it"))
        await asyncio.sleep(0.05)
        assert not later.done()
    finally:
        other.execute("COMMIT")
        other.close()

    assert await write == "queued"
    assert await later == "behind it"
    assert await db.read(_count_logs) == 2


@WAYS
async def test_a_failing_write_rolls_back_and_the_next_one_lands(db: Database, way: str) -> None:
    def _fail(session: Session) -> None:
        _add_log(session, "rolled back")
        session.flush()
        raise LookupError("no such thing")

    with pytest.raises(LookupError):
        await getattr(db, way)(_fail)
    await db.write(_add_log, "kept")

    assert await db.read(_count_logs) == 1


async def test_commits_reach_the_database_file_itself_in_the_background(db: Database) -> None:
    # Commits land in the write-ahead log; a checkpoint thread copies them into the
    # database file (no request pays for it). Reading the file alone, without the
    # log, shows them once it has.
    for i in range(5):
        await db.write(_add_log, f"log-{i}")
    assert db.url.database is not None
    deadline = asyncio.get_running_loop().time() + 10
    found = 0
    while found < 5 and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.1)
        file_only = sqlite3.connect(f"file:{db.url.database}?immutable=1", uri=True)
        try:
            found = file_only.execute("SELECT count(*) FROM log").fetchone()[0]
        except sqlite3.OperationalError:  # not even the table is in the file yet
            found = 0
        finally:
            file_only.close()
    assert found == 5


async def test_none_is_bound_as_null_straight_from_the_adapter_registry(db: Database) -> None:
    # The SQLite engine registers an adapter for None, so that the driver does not
    # look for (and fail to find) ``__adapt__`` for every NULL parameter. A NULL
    # written by the server, or by any other connection in the process, stays NULL.
    assert (type(None), sqlite3.PrepareProtocol) in sqlite3.adapters

    def _write_and_read(session: Session) -> list[tuple[str, str]]:
        session.add(orm.Log(name="n", level=20, message="m", timestamp=dt.datetime.now(dt.UTC)))
        session.flush()
        rows = session.execute(
            select(func.typeof(orm.Log.flow_run_id), func.typeof(orm.Log.task_run_id))
        )
        return [tuple(row) for row in rows]

    assert await db.write(_write_and_read) == [("null", "null")]
    other = sqlite3.connect(":memory:")
    try:
        assert other.execute("SELECT typeof(?), ? IS NULL", (None, None)).fetchone() == (
            "null",
            1,
        )
    finally:
        other.close()
