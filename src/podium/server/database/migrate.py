"""Apply, check and reset the schema with the one Alembic migration tree.

Start-up asks the database for its revision first and only loads Alembic
when that differs from ``HEAD``: a process that finds its schema current
pays one query, not Alembic's import and script scan.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError, ProgrammingError

from podium.server.database.engine import Database
from podium.server.database.orm import Base

MIGRATIONS = Path(__file__).parent / "migrations"
HEAD = "0001"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


async def current_revision(db: Database) -> str | None:
    try:
        async with db.read_session() as session:
            return (await session.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    except (OperationalError, ProgrammingError):
        return None


async def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (latest by default)."""
    if revision == "head" and await current_revision(db) == HEAD:
        return

    def _run(connection: Connection) -> None:
        command.upgrade(alembic_config(connection), revision)

    if db._write_lock is not None:
        async with db._write_lock, db.write_engine.begin() as connection:
            await connection.run_sync(_run)
    else:
        async with db.write_engine.begin() as connection:
            # One migrator at a time when several replicas start together.
            await connection.execute(text("SELECT pg_advisory_xact_lock(4242001)"))
            await connection.run_sync(_run)


async def downgrade(db: Database, revision: str = "base") -> None:
    def _run(connection: Connection) -> None:
        command.downgrade(alembic_config(connection), revision)

    async with db.write_engine.begin() as connection:
        await connection.run_sync(_run)


async def reset(db: Database) -> None:
    """Drop every Podium table, then migrate again from scratch."""

    def _drop(connection: Connection) -> None:
        Base.metadata.drop_all(connection)
        connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")

    async with db.write_engine.begin() as connection:
        await connection.run_sync(_drop)
    await upgrade(db)
