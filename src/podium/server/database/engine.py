"""Database engines, and where database work runs.

Query functions in ``podium.server.models`` are plain functions of a
``Session``; the API hands them to :meth:`Database.write` or
:meth:`Database.read`, which run them in one transaction:

- **SQLite** (the embedded default) runs them with the stdlib driver. Each
  write transaction starts with ``BEGIN IMMEDIATE``, taking the write lock up
  front so that another process on the same file makes it wait
  (``busy_timeout``) rather than fail on a lock upgrade. A short write (one
  run's creation or state change, :meth:`Database.write_short`) runs at once
  on the event loop's thread when the lock is free (it asks for it without
  waiting); any other write, or a short one when the lock is taken or writes
  are already waiting, queues on a single writer thread, which waits for the
  lock. Concurrent clients thus queue instead of meeting "database is
  locked", and the loop never sleeps on a lock. Waking another thread and
  coming back cost 0.15-0.3 ms per write across cores, a third of a small
  write. Reads run on the loop's thread: in WAL mode they never wait for
  the writer, and their work is Python under the GIL, which a reader thread
  would hold just the same.
- **Checkpoints** (copying the write-ahead log back into the database file,
  with an fsync) run on a thread of their own, ``PRAGMA wal_checkpoint(PASSIVE)``
  every :data:`CHECKPOINT_EVERY_COMMITS` commits or :data:`CHECKPOINT_SECONDS`,
  instead of inside whichever commit crossed SQLite's automatic threshold: that
  commit took 4-5 ms instead of 0.05, nearly half of all commit time. A passive
  checkpoint never blocks a writer, and its I/O runs without the GIL.
- **PostgreSQL** runs them on the event loop through asyncpg
  (``AsyncSession.run_sync``); MVCC and row locks handle concurrency.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
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

logger = logging.getLogger("podium.server")

P = ParamSpec("P")
T = TypeVar("T")

# Connections kept open: the loop's thread and the writer thread use one each.
POOL_SIZE = 6

# Background checkpoints: after this many commits, or this many seconds, whichever first.
CHECKPOINT_EVERY_COMMITS = 200
CHECKPOINT_SECONDS = 1.0

# ``_local.writing`` values: how the thread's next transaction begins.
_READ, _WRITE, _WRITE_IF_FREE = 0, 1, 2


class _WriteLockBusy(Exception):
    """The write lock is held elsewhere; the write goes to the writer thread."""


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
            self._queued_writes = 0  # writes handed to the writer thread, not yet done
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
        bind_none_directly()
        memory = self.url.database in (None, "", ":memory:")
        # One shared connection for an in-memory database (each connection
        # would see its own empty database); a pool per thread otherwise.
        pool: dict[str, Any] = {"poolclass": StaticPool} if memory else {"pool_size": POOL_SIZE}
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
        # A database kept in memory has no write-ahead log to checkpoint.
        in_memory = memory or ":memory:" in str(self.url) or "mode=memory" in str(self.url)
        checkpointer = None if in_memory else _Checkpointer(engine, self.timeout)
        self._checkpointer = checkpointer

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
            if checkpointer is not None:
                cursor.execute("PRAGMA wal_autocheckpoint=0")  # the checkpointer's work
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection: Any) -> None:
            # Straight to the driver: a statement through SQLAlchemy's execution
            # machinery costs more than the BEGIN itself, on every transaction.
            writing = getattr(local, "writing", _READ)
            dbapi_connection = connection.connection.dbapi_connection
            if writing != _WRITE_IF_FREE:
                dbapi_connection.execute("BEGIN IMMEDIATE" if writing else "BEGIN")
                return
            dbapi_connection.execute("PRAGMA busy_timeout=0")
            try:
                dbapi_connection.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                    raise _WriteLockBusy from exc
                raise
            finally:
                dbapi_connection.execute(f"PRAGMA busy_timeout={busy_ms}")

        if checkpointer is not None:
            event.listen(engine, "commit", checkpointer.committed)
        self._local = local
        return engine

    # --- running transactions ---------------------------------------------------

    def _run_sqlite(
        self,
        writing: int,
        fn: Callable[Concatenate[Session, P], T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        self._local.writing = writing
        try:
            with self._sessions() as session, session.begin():
                return fn(session, *args, **kwargs)
        finally:
            self._local.writing = _READ

    async def write(
        self, fn: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run ``fn(session, ...)`` in a write transaction; commit if it returns."""
        if self.is_sqlite:
            loop = asyncio.get_running_loop()
            self._queued_writes += 1
            try:
                return await loop.run_in_executor(
                    self._writer, lambda: self._run_sqlite(_WRITE, fn, *args, **kwargs)
                )
            finally:
                self._queued_writes -= 1
        async with self._async_sessions() as session, session.begin():
            return await session.run_sync(fn, *args, **kwargs)

    async def write_short(
        self, fn: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """As :meth:`write`, for a transaction of a few statements on one run or flow.

        On SQLite it runs at once on the calling (event loop's) thread when the write
        lock is free and no write is queued, saving the hop to the writer thread; it
        queues like any write otherwise. Long transactions (batches, cascading
        deletes, the loop services' passes) go through :meth:`write`, so that they
        never hold up the loop.
        """
        if self.is_sqlite and not self._queued_writes:
            try:
                return self._run_sqlite(_WRITE_IF_FREE, fn, *args, **kwargs)
            except _WriteLockBusy:
                pass  # another process writes: wait for it on the writer thread
        return await self.write(fn, *args, **kwargs)

    async def read(
        self, fn: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run ``fn(session, ...)`` in a read-only transaction."""
        if self.is_sqlite:
            # On the loop's thread (see the module docstring): a reader thread
            # overlapped little and cost two thread wake-ups, about 0.3 ms, a
            # tenth of a 200-run listing.
            return self._run_sqlite(_READ, fn, *args, **kwargs)
        async with self._async_sessions() as session:
            return await session.run_sync(fn, *args, **kwargs)

    async def run_connection(self, fn: Callable[[Any], T], *, writing: bool = True) -> T:
        """Run ``fn(connection)`` in a transaction (used for migrations)."""
        if self.is_sqlite:
            assert self.sync_engine is not None
            engine = self.sync_engine

            def _go() -> T:
                self._local.writing = _WRITE if writing else _READ
                try:
                    with engine.begin() as connection:
                        return fn(connection)
                finally:
                    self._local.writing = _READ

            return await asyncio.get_running_loop().run_in_executor(self._writer, _go)
        assert self.async_engine is not None
        async with self.async_engine.begin() as connection:
            return await connection.run_sync(fn)

    async def dispose(self) -> None:
        if self.is_sqlite:
            self._writer.shutdown(wait=True)
            if self._checkpointer is not None:
                self._checkpointer.stop()
            assert self.sync_engine is not None
            self.sync_engine.dispose()
        else:
            assert self.async_engine is not None
            await self.async_engine.dispose()


def bind_none_directly() -> None:
    """Have the stdlib driver bind ``None`` as NULL without looking for an adapter.

    The driver binds ``str``, ``int``, ``float`` and ``bytearray`` values as they
    are, and offers any other value, ``None`` included, to its adapter registry.
    With no adapter there, it looks up ``__adapt__`` on its protocol type: the
    lookup fails, an ``AttributeError`` is made (its message formatted) and
    cleared. That cost about 2,000 instructions per NULL parameter, and the
    task-run batch binds six or more per run. Registered for ``NoneType``, the
    adapter ``{}.get`` (a builtin that answers ``None`` for any key) is found at
    once, and the value is still bound as NULL, for every connection in the
    process.
    """
    key = (type(None), sqlite3.PrepareProtocol)
    if key not in sqlite3.adapters:
        sqlite3.register_adapter(type(None), _NULL)


_NO_ADAPTERS: dict[Any, None] = {}
_NULL = _NO_ADAPTERS.get


class _Checkpointer:
    """Checkpoints a SQLite database's write-ahead log on a thread of its own.

    Started on the first commit; :meth:`stop` ends it with a last checkpoint.
    """

    def __init__(self, engine: Engine, timeout: float) -> None:
        self.engine = engine
        self.timeout = timeout
        self._commits = 0
        self._wake = threading.Event()
        self._stopping = False
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()

    def committed(self, _connection: Any) -> None:
        """A transaction committed (SQLAlchemy's ``commit`` event)."""
        self._commits += 1
        if self._thread is None or self._pid != os.getpid():
            self._start()  # the first commit, or the first in a forked child
        elif self._commits >= CHECKPOINT_EVERY_COMMITS:
            self._wake.set()

    def _start(self) -> None:
        with self._lock:
            if self._stopping:
                return
            if self._thread is None or self._pid != os.getpid():
                self._pid = os.getpid()
                self._wake = threading.Event()
                self._thread = threading.Thread(
                    target=self._run, name="podium-db-checkpoint", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        connection: sqlite3.Connection | None = None
        try:
            while not self._stopping:
                self._wake.wait(CHECKPOINT_SECONDS)
                self._wake.clear()
                if self._commits:
                    self._commits = 0
                    connection = self._checkpoint(connection)
            self._checkpoint(connection)
        finally:
            if connection is not None:
                connection.close()

    def _checkpoint(self, connection: sqlite3.Connection | None) -> sqlite3.Connection | None:
        """Checkpoint through ``connection`` (opened on first use); the connection."""
        try:
            if connection is None:
                database = self.engine.url.database
                assert database is not None
                connection = sqlite3.connect(
                    database,
                    timeout=self.timeout,
                    uri=database.startswith("file:"),
                    isolation_level=None,
                )
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error as exc:  # tried again next round; the log only grows meanwhile
            logger.warning("Checkpointing the SQLite database failed: %s", exc)
        return connection

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            thread = self._thread
        self._wake.set()
        if thread is not None:
            thread.join(timeout=self.timeout)
