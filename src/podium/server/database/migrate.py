"""Apply, check and reset the schema with the one Alembic migration tree.

Start-up asks the database for its revision first and only runs Alembic
when that differs from ``HEAD``: a process that finds its schema current
pays one query. An empty database (no Podium table, no revision) is brought
to ``HEAD`` without Alembic: the ORM tables are created directly and the
revision stamped, as Alembic would. The migrations and the ORM describe the
same schema (the tests compare both ways of creating it), and creating it in
one pass costs a fraction of loading Alembic and replaying every migration.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Column, MetaData, PrimaryKeyConstraint, String, Table, inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.schema import CreateIndex, CreateTable

from podium.server.database.engine import Database
from podium.server.database.orm import Base

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
HEAD = "0006"
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


# Alembic's own record of the revision, as its migration context creates it.
_VERSION_TABLE = Table(
    "alembic_version",
    MetaData(),
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)


def _is_empty(connection: Connection) -> bool:
    """Whether the database holds neither a revision nor any Podium table."""
    existing = set(inspect(connection).get_table_names())
    return existing.isdisjoint({_VERSION_TABLE.name, *Base.metadata.tables})


def create_head_schema(connection: Connection) -> None:
    """Create the ``HEAD`` schema on an empty database, stamped ``HEAD`` as Alembic would.

    Each table's indexes are created in name order, as the migrations create them
    (``create_all`` would take them in no fixed order).
    """
    for table in Base.metadata.sorted_tables:
        connection.execute(CreateTable(table))
        for index in sorted(table.indexes, key=lambda index: str(index.name)):
            connection.execute(CreateIndex(index))
    connection.execute(CreateTable(_VERSION_TABLE))
    connection.execute(_VERSION_TABLE.insert().values(version_num=HEAD))


async def upgrade(db: Database, revision: str = "head", *, direct_on_empty: bool = True) -> None:
    """Bring the schema to ``revision`` (the latest by default).

    An empty database brought to the latest revision is created directly from
    the ORM tables (see the module's docstring) unless ``direct_on_empty`` is
    False, which replays every migration through Alembic.
    """
    if revision == "head" and await current_revision(db) == HEAD:
        return
    direct = direct_on_empty and revision in ("head", HEAD)

    def _run(connection: Connection) -> None:
        _lock(connection)
        if revision == "head" and _revision(connection) == HEAD:
            return  # another process got there while this one waited for the lock
        if direct and _is_empty(connection):
            create_head_schema(connection)
            return
        from alembic import command  # deferred: see alembic_config

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
