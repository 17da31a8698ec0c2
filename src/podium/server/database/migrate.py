"""Apply, check and reset the schema with the one Alembic migration tree.

Start-up asks the database for its revision first and only runs Alembic
when that differs from ``HEAD``: a process that finds its schema current
pays one query.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError, ProgrammingError

from podium.server.database.engine import Database
from podium.server.database.orm import Base

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
HEAD = "0002"
_ADVISORY_LOCK = 4242001


def alembic_config(connection: Connection | None = None) -> Config:
    # Alembic is imported only when the schema must change: most start-ups
    # find it current and should not pay for loading it.
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _revision(connection: Connection) -> str | None:
    try:
        with connection.begin_nested():
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except (OperationalError, ProgrammingError):
        return None


async def current_revision(db: Database) -> str | None:
    return await db.run_connection(_revision, writing=False)


def _lock(connection: Connection) -> None:
    # Several replicas starting together: one migrates, the others wait.
    if connection.dialect.name == "postgresql":
        connection.execute(text(f"SELECT pg_advisory_xact_lock({_ADVISORY_LOCK})"))


async def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (the latest by default)."""
    if revision == "head" and await current_revision(db) == HEAD:
        return

    def _run(connection: Connection) -> None:
        from alembic import command  # deferred: see alembic_config

        _lock(connection)
        command.upgrade(alembic_config(connection), revision)

    await db.run_connection(_run)


async def downgrade(db: Database, revision: str = "base") -> None:
    def _run(connection: Connection) -> None:
        from alembic import command  # deferred: see alembic_config

        _lock(connection)
        command.downgrade(alembic_config(connection), revision)

    await db.run_connection(_run)


async def reset(db: Database) -> None:
    """Drop every Podium table, then migrate again from scratch."""

    def _drop(connection: Connection) -> None:
        _lock(connection)
        Base.metadata.drop_all(connection)
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))

    await db.run_connection(_drop)
    await upgrade(db)
