"""Database engines, and where database work runs.

Query functions in ``podium.server.models`` are plain functions of a
``Session``; the API hands them to :meth:`Database.write` or
:meth:`Database.read`, which run them in one transaction:

- **SQLite** (the embedded default) runs them in threads with the stdlib
  driver. Writes go to a single writer thread, so concurrent clients queue
  instead of meeting "database is locked"; each write transaction starts
  with ``BEGIN IMMEDIATE``, taking the write lock up front so that another
  process on the same file makes it wait (``busy_timeout``) rather than fail
  on a lock upgrade. Reads use a few reader threads and, in WAL mode, never
  wait for the writer. Running a whole transaction in one thread hop costs
  one switch per request instead of several per statement.
- **PostgreSQL** runs them on the event loop through asyncpg
  (``AsyncSession.run_sync``); MVCC and row locks handle concurrency.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from podium.server.database.types import json_dumps, json_loads

P = ParamSpec("P")
T = TypeVar("T")

READER_THREADS = 4


def sqlite_sync_url(url: URL) -> URL:
    """The stdlib-driver form of a SQLite URL (``sqlite+aiosqlite`` is accepted too)."""
    return url.set(drivername="sqlite")


class Database:
    """One database URL: its engines and the places its transactions run."""

    def __init__(self, url: str, *, timeout: float = 60.0, echo: bool = False) -> None:
        self.url = make_url(url)
        self.timeout = timeout
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        self.sync_engine: Engine | None = None
        self.async_engine: AsyncEngine | None = None
        if self.is_sqlite:
            self._prepare_sqlite_path()
            self.sync_engine = self._sqlite_engine(echo)
            self._sessions = sessionmaker(self.sync_engine, expire_on_commit=False)
            self._writer = ThreadPoolExecutor(1, thread_name_prefix="podium-db-writer")
            self._readers = ThreadPoolExecutor(
                READER_THREADS, thread_name_prefix="podium-db-reader"
            )
        else:
            url_async = self.url
            if url_async.drivername == "postgresql":
                url_async = url_async.set(drivername="postgresql+asyncpg")
            self.async_engine = create_async_engine(
                url_async,
                echo=echo,
                pool_size=10,
                max_overflow=20,
                pool_pre_ping=True,
                json_serializer=json_dumps,
                json_deserializer=json_loads,
            )
            self._async_sessions = async_sessionmaker(self.async_engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.url.get_backend_name()

    def _prepare_sqlite_path(self) -> None:
        database = self.url.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)

    def _sqlite_engine(self, echo: bool) -> Engine:
        memory = self.url.database in (None, "", ":memory:")
        # One shared connection for an in-memory database (each connection
        # would see its own empty database); a pool per thread otherwise.
        pool: dict[str, Any] = (
            {"poolclass": StaticPool} if memory else {"pool_size": READER_THREADS + 2}
        )
        engine = create_engine(
            sqlite_sync_url(self.url),
            echo=echo,
            json_serializer=json_dumps,
            json_deserializer=json_loads,
            connect_args={"timeout": self.timeout, "check_same_thread": False},
            **pool,
        )
        busy_ms = int(self.timeout * 1000)
        local = threading.local()

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # Autocommit at the driver level: SQLAlchemy's "begin" event below
            # decides how each transaction starts.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection: Any) -> None:
            # Straight to the driver: a statement through SQLAlchemy's execution
            # machinery costs more than the BEGIN itself, on every transaction.
            immediate = getattr(local, "writing", False)
            dbapi_connection = connection.connection.dbapi_connection
            dbapi_connection.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")

        self._local = local
        return engine

    # --- running transactions ---------------------------------------------------

    def _run_sqlite(
        self,
        writing: bool,
        fn: Callable[Concatenate[Session, P], T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        self._local.writing = writing
        try:
            with self._sessions() as session, session.begin():
                return fn(session, *args, **kwargs)
        finally:
            self._local.writing = False

    async def write(
        self, fn: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run ``fn(session, ...)`` in a write transaction; commit if it returns."""
        if self.is_sqlite:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(
                self._writer, lambda: self._run_sqlite(True, fn, *args, **kwargs)
            )
        async with self._async_sessions() as session, session.begin():
            return await session.run_sync(fn, *args, **kwargs)

    async def read(
        self, fn: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run ``fn(session, ...)`` in a read-only transaction."""
        if self.is_sqlite:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(
                self._readers, lambda: self._run_sqlite(False, fn, *args, **kwargs)
            )
        async with self._async_sessions() as session:
            return await session.run_sync(fn, *args, **kwargs)

    async def run_connection(self, fn: Callable[[Any], T], *, writing: bool = True) -> T:
        """Run ``fn(connection)`` in a transaction (used for migrations)."""
        if self.is_sqlite:
            assert self.sync_engine is not None
            engine = self.sync_engine

            def _go() -> T:
                self._local.writing = writing
                try:
                    with engine.begin() as connection:
                        return fn(connection)
                finally:
                    self._local.writing = False

            return await asyncio.get_running_loop().run_in_executor(self._writer, _go)
        assert self.async_engine is not None
        async with self.async_engine.begin() as connection:
            return await connection.run_sync(fn)

    async def dispose(self) -> None:
        if self.is_sqlite:
            self._writer.shutdown(wait=True)
            self._readers.shutdown(wait=True)
            assert self.sync_engine is not None
            self.sync_engine.dispose()
        else:
            assert self.async_engine is not None
            await self.async_engine.dispose()
