"""Core statements compiled once per dialect and run on SQLite's own connection.

On the hot write paths (creating one run, proposing one state) SQLAlchemy's
execution machinery cost several times the statements themselves: finding the
compiled form by cache key, building an execution context, running every
parameter and result column through a generic processing loop, firing events.
A :class:`Prepared` statement is compiled once per dialect and set of
parameter names. On SQLite it then runs on the session's driver connection,
inside the transaction the session began, with each column type's own bind
and result processors applied directly, so values are stored and read exactly
as through SQLAlchemy. On any other dialect it runs through the session's
connection as usual.

Only plain statements belong here: no expanding ``IN`` parameters, and inserts
given every column that has a Python-side default (the compiler would ask for
those values, and nothing here computes them; :meth:`Prepared.compiled` says so).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from sqlalchemy import Connection, Delete, Dialect, Insert, Select, Update
from sqlalchemy.orm import Session

__all__ = ["Prepared", "sqlite_driver"]

Processor = Callable[[Any], Any] | None
Statement = Select[Any] | Insert | Update | Delete


class Compiled(NamedTuple):
    """A statement's SQL for one dialect and set of parameter names, and its processors."""

    sql: str
    names: tuple[str, ...]
    binds: tuple[Processor, ...]
    results: tuple[Processor, ...]

    def parameters(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(
            value if process is None else process(value)
            for process, value in zip(
                self.binds, [values[name] for name in self.names], strict=True
            )
        )

    def row(self, raw: Sequence[Any]) -> tuple[Any, ...]:
        return tuple(
            value if process is None or value is None else process(value)
            for process, value in zip(self.results, raw, strict=True)
        )


def sqlite_driver(connection: Connection) -> sqlite3.Connection:
    """The sqlite3 connection under a session's ``connection``.

    Statements run on it are part of the transaction the session began there.
    """
    driver = connection.connection.driver_connection
    assert isinstance(driver, sqlite3.Connection)
    return driver


class Prepared:
    """One Core statement, run with :meth:`first` (a query) or :meth:`run`."""

    def __init__(self, statement: Statement) -> None:
        self.statement = statement
        self._compiled: dict[tuple[str, tuple[str, ...]], Compiled] = {}

    def compiled(self, dialect: Dialect, keys: tuple[str, ...]) -> Compiled:
        """The statement's form for ``dialect`` when given parameters named ``keys``."""
        found = self._compiled.get((dialect.name, keys))
        if found is not None:
            return found
        compiled = self.statement.compile(dialect=dialect, column_keys=list(keys))
        names = tuple(compiled.positiontup or ())
        missing = [name for name in names if name not in keys]
        if missing:
            raise ValueError(f"{compiled.string!r} needs parameters {missing}, not given")
        binds = tuple(
            compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
            for name in names
        )
        results: tuple[Processor, ...] = ()
        if isinstance(self.statement, Select):
            results = tuple(
                column.type.dialect_impl(dialect).result_processor(dialect, None)
                for column in self.statement.selected_columns
            )
        found = Compiled(compiled.string, names, binds, results)
        self._compiled[(dialect.name, keys)] = found
        return found

    def first(self, session: Session, values: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The query's first row (its columns' values as the types read them), or None."""
        connection = session.connection()
        dialect = connection.dialect
        if dialect.name != "sqlite":
            row = connection.execute(self.statement, dict(values)).first()
            return None if row is None else tuple(row)
        compiled = self.compiled(dialect, tuple(values))
        raw = (
            sqlite_driver(connection).execute(compiled.sql, compiled.parameters(values)).fetchone()
        )
        return None if raw is None else compiled.row(raw)

    def run(self, session: Session, values: Mapping[str, Any]) -> None:
        """Execute the statement once with ``values``."""
        connection = session.connection()
        dialect = connection.dialect
        if dialect.name != "sqlite":
            connection.execute(self.statement, dict(values))
            return
        compiled = self.compiled(dialect, tuple(values))
        sqlite_driver(connection).execute(compiled.sql, compiled.parameters(values))
