"""Database engines and sessions.

SQLite is the embedded default. Its rule is one writer at a time, so every
write transaction here starts with ``BEGIN IMMEDIATE`` (it takes the write
lock up front instead of failing to upgrade a read lock later, which is
where "database is locked" comes from) and, inside one process, writers
queue on an asyncio lock instead of spinning on SQLite's busy handler.
Other processes on the same file wait through ``busy_timeout``. Reads use
their own engine and never block in WAL mode.

PostgreSQL needs none of this: one engine, one pool, MVCC.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool


class Database:
    """The engines and session factories for one database URL."""

    def __init__(self, url: str, *, timeout: float = 60.0, echo: bool = False) -> None:
        self.url = make_url(url)
        self.timeout = timeout
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        if self.is_sqlite:
            self._prepare_sqlite_path()
            self.write_engine = self._sqlite_engine(immediate=True, echo=echo)
            self.read_engine = self._sqlite_engine(immediate=False, echo=echo)
        else:
            self.write_engine = create_async_engine(
                self.url, echo=echo, pool_size=10, max_overflow=20, pool_pre_ping=True
            )
            self.read_engine = self.write_engine
        self._write_sessions = async_sessionmaker(self.write_engine, expire_on_commit=False)
        self._read_sessions = async_sessionmaker(self.read_engine, expire_on_commit=False)
        self._write_lock = asyncio.Lock() if self.is_sqlite else None

    def _prepare_sqlite_path(self) -> None:
        database = self.url.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)

    def _sqlite_engine(self, *, immediate: bool, echo: bool) -> AsyncEngine:
        # A small pool of persistent connections: opening SQLite is cheap but
        # not free, and pragmas then run once per connection.
        engine = create_async_engine(
            self.url,
            echo=echo,
            connect_args={"timeout": self.timeout, "check_same_thread": False},
            poolclass=NullPool if self.url.database in (None, "", ":memory:") else None,
        )
        busy_ms = int(self.timeout * 1000)

        @event.listens_for(engine.sync_engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy's "begin" event decide how transactions start.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _on_begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine

    @contextlib.asynccontextmanager
    async def write_session(self) -> AsyncIterator[AsyncSession]:
        """A session whose transaction commits on success and rolls back on error."""
        if self._write_lock is None:
            async with self._write_sessions() as session, session.begin():
                yield session
            return
        async with self._write_lock:
            async with self._write_sessions() as session, session.begin():
                yield session

    @contextlib.asynccontextmanager
    async def read_session(self) -> AsyncIterator[AsyncSession]:
        async with self._read_sessions() as session:
            yield session

    async def dispose(self) -> None:
        await self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            await self.read_engine.dispose()
