"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
from sqlalchemy import JSON, DateTime, Dialect, String, TypeDecorator
from sqlalchemy.dialects.sqlite import base as sqlite_base
from sqlalchemy.ext.compiler import compiles

from podium import _json as podium_json

SQLITE_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


class Timestamp(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC timestamp.

    PostgreSQL keeps ``timestamptz``. SQLite has no time zones: values are
    stored as fixed-width naive UTC text (``2026-01-02 03:04:05.000006``, the
    layout SQLAlchemy's own SQLite DATETIME uses, so text order is time
    order) and read back with ``fromisoformat``, which is much faster than
    the generic parser, then given back their UTC zone.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String())
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return sqlite_timestamp(value)
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def sqlite_timestamp(value: dt.datetime) -> str:
    """How :class:`Timestamp` stores ``value`` on SQLite (a naive value is taken as UTC).

    Writers that bypass the column types (the task-run batch) use it too, so
    both store the same text.
    """
    if value.tzinfo is not dt.UTC:
        offset = value.utcoffset()
        if offset is None:
            value = value.replace(tzinfo=dt.UTC)
        elif offset:
            value = value.astimezone(dt.UTC)
        # else another zone at UTC (pydantic's parsed "Z"): the text below is the same
    if value.year < 1000:
        # strftime writes such a year without leading zeros; keep what it wrote.
        return value.strftime(SQLITE_FORMAT)
    # The same text as strftime(SQLITE_FORMAT), in a third of the time.
    return value.isoformat(" ", "microseconds")[:26]


_EPOCH = dt.datetime(1970, 1, 1)


def sqlite_interval(value: dt.timedelta) -> str:
    """How SQLAlchemy's ``Interval`` stores ``value`` on SQLite: the epoch plus ``value``.

    The batch writers use it for ``total_run_time``; SQLAlchemy's own processor
    makes the same text through two generic ones, at several times the cost.
    """
    return (_EPOCH + value).isoformat(" ", "microseconds")


class JSONOrJSONB(TypeDecorator[Any]):
    """JSON, and JSONB on PostgreSQL.

    What ``with_variant(JSONB(), "postgresql")`` gives, without importing the
    PostgreSQL dialect where it is not used: that import took about 20 ms of a
    short script's start on SQLite.
    """

    impl: Any = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(self.impl_instance)


JSONType = JSONOrJSONB()
"""JSON everywhere, JSONB on PostgreSQL so it can be indexed and compared."""


class JSONValue(JSON):
    """JSON whose top level may be any value (a state's ``data``), not only an object.

    SQLite gives a column declared ``JSON`` numeric affinity: the text of a
    JSON number (``5``, ``1.0``) is stored as that number, which SQLAlchemy's
    JSON type then cannot read back, so the run whose state held it answered
    500 to every read and every state change. On SQLite this type is declared
    ``JSON_TEXT``, which has text affinity: every value is stored as the text
    written. Reflection knows the name, so the migrations and the ORM compare
    equal. Columns of objects and lists (``{``, ``[``) never looked numeric
    and keep :data:`JSONType`.
    """

    cache_ok = True


class _JSONValueOrJSONB(JSONOrJSONB):
    impl = JSONValue
    cache_ok = True


@compiles(JSONValue, "sqlite")
@compiles(_JSONValueOrJSONB, "sqlite")
def _json_value_on_sqlite(type_: Any, compiler: Any, **kw: Any) -> str:
    return "JSON_TEXT"


sqlite_base.ischema_names["JSON_TEXT"] = JSONValue

JSONValueType = _JSONValueOrJSONB()
""":class:`JSONValue` on SQLite, JSONB on PostgreSQL (which keeps any JSON value as is)."""


def json_dumps(value: Any) -> str:
    """JSON for the database: orjson, which also writes datetimes and UUIDs.

    Other values with a text form (asyncpg's own UUID type, for one) are
    written as that text. Integers of any size are written (:mod:`podium._json`).
    """
    return podium_json.dumps(value, option=orjson.OPT_NON_STR_KEYS, default=str).decode()


json_loads = podium_json.loads
"""JSON from the database; integers beyond 64 bits stay integers (:mod:`podium._json`)."""
