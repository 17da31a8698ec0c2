"""JSON text with orjson, for integers of any size too.

orjson writes integers of at most 64 bits (it raises ``TypeError`` beyond) and reads
larger ones as floats; JSON has no such limit, nor have Python's integers (a flow may
be called with ``2**64 + 1``). :func:`dumps` writes with orjson and, when a value holds
such an integer, with the standard library's encoder instead, in the same form;
:func:`loads` reads with pydantic-core's parser, which keeps every integer an integer,
at about orjson's speed.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import uuid
from collections.abc import Callable
from typing import Any

import orjson
from pydantic_core import from_json

__all__ = ["dumps", "loads"]

_INT64 = range(-(2**63), 2**63)


def dumps(value: Any, *, option: int = 0, default: Callable[[Any], Any] | None = None) -> bytes:
    """``orjson.dumps(value, default=default, option=option)``, for integers of any size.

    Of orjson's options, the fallback honours ``OPT_SORT_KEYS`` and ``OPT_NON_STR_KEYS``
    (keys that are numbers, booleans or None); it writes datetimes, dates, times, UUIDs
    and enums as orjson does.
    """
    try:
        return orjson.dumps(value, default=default, option=option)
    except TypeError:
        if not _has_big_int(value):
            raise

    def fallback(item: Any) -> Any:
        if isinstance(item, dt.datetime | dt.date | dt.time):
            return item.isoformat()
        if isinstance(item, uuid.UUID):
            return str(item)
        if isinstance(item, enum.Enum):
            return item.value
        if default is not None:
            return default(item)
        raise TypeError(f"Type is not JSON serializable: {type(item).__name__}")

    text = json.dumps(
        value,
        default=fallback,
        sort_keys=bool(option & orjson.OPT_SORT_KEYS),
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )
    return text.encode()


def loads(data: bytes | bytearray | str) -> Any:
    """The value of a JSON text; integers of any size stay integers."""
    return from_json(data)


def _has_big_int(value: Any) -> bool:
    """Whether ``value`` holds an integer beyond 64 bits, in lists, tuples and dicts."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value not in _INT64
    if isinstance(value, dict):
        return any(map(_has_big_int, value.values())) or any(map(_has_big_int, value))
    if isinstance(value, list | tuple):
        return any(map(_has_big_int, value))
    return False
