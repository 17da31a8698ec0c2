"""Ids for runs and states: time-ordered UUIDs (version 7), random bits from the OS.

Ids are primary keys, and a random key (``uuid4()``) lands anywhere in the key's
index: every insert then writes to a different page, and the more runs a database
holds the more pages each batch of task runs rewrites (on SQLite, with 100,000 task
runs recorded, a task's overhead doubled). A version 7 UUID (RFC 9562) starts with
the time in milliseconds, so new ids go to the end of the index, as in an
append-only log, whatever the database's size. The remaining 74 bits are random.

The random bits are read from ``os.urandom`` a block at a time: each read releases
the GIL, and with the embedded server's thread and the flow's threads busy, an id
per read meant waiting for the thread's next turn per id. They are independent of
:mod:`random` (a flow that calls ``random.seed`` must not get an earlier run's ids),
and a forked child drops its parent's unused bytes, so the two never hand out the
same id.
"""

from __future__ import annotations

import os
import time
from uuid import UUID, SafeUUID

__all__ = ["hex_of_int", "new_hexes", "new_uuid", "new_uuid_int", "uuid_of_int"]

_PER_BLOCK = 256
_RANDOM_BITS = (1 << 80) - 1  # below the 48-bit timestamp
_VERSION_MASK = ~((0xF000 << 64) | (0xC000 << 48))
_VERSION_7 = (0x7000 << 64) | (0x8000 << 48)  # version 7, RFC 9562 variant

# Unused random 128-bit values; list.pop() and list.extend() are atomic, so threads
# share it without a lock (two threads refilling at once just add two blocks).
_pool: list[int] = []
os.register_at_fork(after_in_child=_pool.clear)


def _refill() -> None:
    block = os.urandom(16 * _PER_BLOCK)
    # Kept with the version and variant bits already set: they lie in the random part.
    _pool.extend(
        int.from_bytes(block[i : i + 16], "big") & _RANDOM_BITS & _VERSION_MASK | _VERSION_7
        for i in range(0, len(block), 16)
    )


_new = object.__new__
_set = object.__setattr__
_time_ns = time.time_ns
_UNKNOWN = SafeUUID.unknown


def new_uuid_int() -> int:
    """A new version 7 UUID's integer (for ids stored as text, never needed as UUIDs)."""
    try:
        value = _pool.pop()
    except IndexError:
        _refill()
        value = _pool.pop()
    return (_time_ns() // 1_000_000) << 80 | value


def hex_of_int(value: int) -> str:
    """A UUID's 32 hex digits (``UUID.hex``) from its integer.

    Through the integer's bytes: formatting it (``f"{value:032x}"``) took twice as long,
    and the task-run batch writes three such ids per run.
    """
    return value.to_bytes(16, "big").hex()


def uuid_of_int(value: int) -> UUID:
    """``UUID(int=value)`` for a value known to be a valid UUID's, without checking it."""
    uuid = _new(UUID)
    _set(uuid, "int", value)
    _set(uuid, "is_safe", _UNKNOWN)
    return uuid


def new_uuid() -> UUID:
    """A new version 7 UUID: the current time in milliseconds, then random bits."""
    # What ``UUID(int=...)`` ends with, without its checks of arguments that are
    # known to be valid here (a task run makes three ids).
    return uuid_of_int(new_uuid_int())


# Byte maps that set a UUID's version (7) and variant (RFC 9562) bits over random bytes.
_VERSION_7_BYTE = bytes((b & 0x0F) | 0x70 for b in range(256))
_VARIANT_BYTE = bytes((b & 0x3F) | 0x80 for b in range(256))


def new_hexes(count: int) -> list[str]:
    """``count`` new version 7 UUIDs as their 32 hex digits, made together.

    For ids stored as text and made many at once (the states of a task-run batch):
    one read of random bytes for them all, the current millisecond and the version
    and variant bits written into every id's bytes at once (slices with a step of
    16), and one hex conversion; :func:`new_uuid_int` then :func:`hex_of_int` cost
    three calls and an integer's bytes per id.
    """
    raw = bytearray(os.urandom(16 * count))
    millisecond = (_time_ns() // 1_000_000).to_bytes(6, "big")
    for position, byte in enumerate(millisecond):
        raw[position::16] = bytes((byte,)) * count
    raw[6::16] = raw[6::16].translate(_VERSION_7_BYTE)
    raw[8::16] = raw[8::16].translate(_VARIANT_BYTE)
    digits = raw.hex()
    return [digits[i : i + 32] for i in range(0, 32 * count, 32)]
