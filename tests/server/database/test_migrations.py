"""The one Alembic tree migrates a fresh SQLite file and a fresh PostgreSQL database.

Start-up creates the schema of an empty database directly from the ORM tables; that
schema must be the one the migrations build, table by table, column by column.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, make_url

from podium.server.database import HEAD, Database, downgrade, reset, upgrade
from podium.server.database.migrate import alembic_config, current_revision
from podium.server.database.orm import Base

TABLES = {table.name for table in Base.metadata.sorted_tables}
_QUOTED_NAME = re.compile(r'^CREATE TABLE "(\w+)" \($')


async def _admin(url: str, sql: str) -> None:
    admin = Database(url)
    assert admin.async_engine is not None
    engine = admin.async_engine.execution_options(isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.exec_driver_sql(sql)
    finally:
        await admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a new SQLite file, or a new PostgreSQL database of its own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh' / 'podium.db'}"
        return
    session_url = request.getfixturevalue("postgres_database")
    name = f"podium_migrate_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(session_url, f'CREATE DATABASE "{name}"'))
    yield make_url(session_url).set(database=name).render_as_string(hide_password=False)
    asyncio.run(_admin(session_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def fresh_db(fresh_url: str) -> AsyncIterator[Database]:
    db = Database(fresh_url)
    yield db
    await db.dispose()


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def tables(db: Database) -> set[str]:
    return await db.run_connection(_tables, writing=False)


def insert_flow(connection: Connection) -> None:
    connection.execute(
        Base.metadata.tables["flow"].insert(), {"name": "a", "tags": [], "labels": {}}
    )


async def count_flows(db: Database) -> int:
    return await db.run_connection(
        lambda c: c.execute(text("SELECT count(*) FROM flow")).scalar_one(), writing=False
    )


def test_head_is_alembics_head_revision() -> None:
    scripts = ScriptDirectory.from_config(alembic_config())

    assert scripts.get_heads() == [HEAD]
    assert scripts.get_current_head() == HEAD


def test_revisions_form_one_line_from_base() -> None:
    scripts = ScriptDirectory.from_config(alembic_config())

    revisions = list(scripts.walk_revisions("base", "heads"))

    assert revisions[-1].down_revision is None
    assert len({r.revision for r in revisions}) == len(revisions)
    assert all(not r.is_merge_point for r in revisions)


async def test_upgrade_creates_every_table_on_a_fresh_database(fresh_db: Database) -> None:
    assert await current_revision(fresh_db) is None
    assert await tables(fresh_db) == set()

    await upgrade(fresh_db)

    assert await current_revision(fresh_db) == HEAD
    assert await tables(fresh_db) == TABLES | {"alembic_version"}


async def test_migrated_schema_matches_the_orm(fresh_db: Database) -> None:
    await upgrade(fresh_db, direct_on_empty=False)

    def _differences(connection: Connection) -> list:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)

    assert await fresh_db.run_connection(_differences, writing=False) == []


def _schema(connection: Connection) -> dict[str, Any]:
    """Everything the database says about each table, in a comparable form."""
    inspector = inspect(connection)
    schema: dict[str, Any] = {}
    for table in sorted(inspector.get_table_names()):
        schema[table] = {
            "columns": [
                {**column, "type": repr(column["type"])} for column in inspector.get_columns(table)
            ],
            "primary_key": inspector.get_pk_constraint(table),
            "foreign_keys": sorted(inspector.get_foreign_keys(table), key=repr),
            "indexes": sorted(inspector.get_indexes(table), key=repr),
            "unique": sorted(inspector.get_unique_constraints(table), key=repr),
            "checks": sorted(inspector.get_check_constraints(table), key=repr),
        }
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql(
            "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
        )
        schema["sqlite_master"] = [(*row[:3], _clauses(row[3])) for row in rows]
        schema["index order"] = {
            table: [row[1] for row in connection.exec_driver_sql(f"PRAGMA index_list('{table}')")]
            for table in inspector.get_table_names()
        }
    return schema


def _clauses(sql: str | None) -> tuple[list[str], list[str]] | None:
    """A stored ``CREATE`` statement as its column lines, in order, and its table
    constraints, in any order (the ORM and the migrations list them differently).

    A table a migration rebuilt (Alembic's batch mode: a copy, then renamed) is
    stored with its name quoted, ``CREATE TABLE "name" (``: the same table.
    """
    if sql is None:
        return None
    lines = [line.strip().rstrip(",") for line in sql.splitlines()]
    lines[0] = _QUOTED_NAME.sub(r"CREATE TABLE \1 (", lines[0])
    constraints = sorted(line for line in lines if line.startswith("CONSTRAINT"))
    return [line for line in lines if not line.startswith("CONSTRAINT")], constraints


async def test_empty_database_gets_the_schema_the_migrations_build(
    fresh_db: Database,
) -> None:
    await upgrade(fresh_db, direct_on_empty=False)
    by_migrations = await fresh_db.run_connection(_schema, writing=False)
    await downgrade(fresh_db, "base")
    await fresh_db.run_connection(lambda c: c.exec_driver_sql("DROP TABLE alembic_version"))
    assert await tables(fresh_db) == set()

    await upgrade(fresh_db)

    assert await current_revision(fresh_db) == HEAD
    assert await fresh_db.run_connection(_schema, writing=False) == by_migrations


async def test_upgrade_again_changes_nothing(fresh_db: Database) -> None:
    await upgrade(fresh_db)

    await fresh_db.run_connection(insert_flow)
    await upgrade(fresh_db)
    await upgrade(fresh_db, "head")

    assert await count_flows(fresh_db) == 1
    assert await current_revision(fresh_db) == HEAD


async def test_downgrade_to_base_then_upgrade_again(fresh_db: Database) -> None:
    await upgrade(fresh_db)

    await downgrade(fresh_db, "base")

    assert await tables(fresh_db) <= {"alembic_version"}
    assert await current_revision(fresh_db) is None

    await upgrade(fresh_db)

    assert await current_revision(fresh_db) == HEAD
    assert await tables(fresh_db) == TABLES | {"alembic_version"}


async def test_reset_empties_and_remigrates(fresh_db: Database) -> None:
    await upgrade(fresh_db)

    await fresh_db.run_connection(insert_flow)

    await reset(fresh_db)

    assert await count_flows(fresh_db) == 0
    assert await current_revision(fresh_db) == HEAD


async def test_sqlite_file_is_in_wal_mode(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'wal.db'}")
    try:
        await upgrade(db)
        mode = await db.run_connection(
            lambda c: c.exec_driver_sql("PRAGMA journal_mode").scalar(), writing=False
        )
    finally:
        await db.dispose()

    assert mode == "wal"


async def test_state_data_stored_as_numbers_before_0005_reads_back_after_it(
    tmp_path: Path,
) -> None:
    # Before 0005 SQLite stored a state's JSON number as a number, which the JSON
    # type could not read: the run answered 500 until the data was text again.
    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    flow_id, run_id = uuid.uuid4(), uuid.uuid4()
    stored = {"01": "5", "02": "1.5", "03": '"7"', "04": '{"a":1}', "05": "null"}

    def _old_rows(connection: Connection) -> None:
        tables = Base.metadata.tables  # flow and flow_run are the same at 0004
        connection.execute(tables["flow"].insert(), {"id": flow_id, "name": "f"})
        connection.execute(
            tables["flow_run"].insert(), {"id": run_id, "flow_id": flow_id, "name": "r"}
        )
        for suffix, data in stored.items():
            connection.exec_driver_sql(
                "INSERT INTO flow_run_state (flow_run_id, id, type, name, timestamp,"
                " state_details, data) VALUES (?, ?, 'RUNNING', 'Running', ?, '{}', ?)",
                (run_id.hex, suffix * 16, f"2026-01-01 00:00:{suffix}.000000", data),
            )

    def _read(connection: Connection) -> list[tuple[str, Any]]:
        table = Base.metadata.tables["flow_run_state"]
        rows = connection.execute(table.select().order_by(table.c.timestamp))
        return [(row.id.hex[:2], row.data) for row in rows]

    def _kinds(connection: Connection) -> list[str]:
        query = "SELECT typeof(data) FROM flow_run_state ORDER BY timestamp"
        return [row[0] for row in connection.exec_driver_sql(query)]

    try:
        await upgrade(db, "0004")
        await db.run_connection(_old_rows)
        before = await db.run_connection(_kinds, writing=False)

        await upgrade(db)

        after = await db.run_connection(_kinds, writing=False)
        data = await db.run_connection(_read, writing=False)
    finally:
        await db.dispose()

    assert before[:2] == ["integer", "real"]
    assert after == ["text"] * len(stored)
    assert data == [("01", 5), ("02", 1.5), ("03", "7"), ("04", {"a": 1}), ("05", None)]
