"""Random (version 4) UUIDs for runs and states, drawn from the OS in blocks.

``uuid.uuid4()`` reads 16 bytes from ``os.urandom`` for every id, and that read
releases the GIL: with the embedded server's thread and the flow's threads busy,
every id then waits for its thread's next turn. Task runs need several ids each
(the run and each of its states), so :func:`new_uuid` reads random bytes from the
OS a block at a time and hands them out one id each. The ids are as random as
``uuid4()``'s, and independent of :mod:`random` (a flow that calls ``random.seed``
must not get the ids of an earlier run). A forked child drops the parent's unused
bytes, so parent and child never hand out the same id.
"""

from __future__ import annotations

import os
from uuid import UUID

__all__ = ["new_uuid"]

_PER_BLOCK = 256
_VERSION_MASK = ~((0xF000 << 64) | (0xC000 << 48))
_VERSION_4 = (0x4000 << 64) | (0x8000 << 48)

# Unused random 128-bit values; list.pop() and list.extend() are atomic, so threads
# share it without a lock (two threads refilling at once just add two blocks).
_pool: list[int] = []
os.register_at_fork(after_in_child=_pool.clear)


def _refill() -> None:
    block = os.urandom(16 * _PER_BLOCK)
    _pool.extend(int.from_bytes(block[i : i + 16], "big") for i in range(0, len(block), 16))


def new_uuid() -> UUID:
    """A random version 4 UUID, as ``uuid.uuid4()`` makes."""
    try:
        value = _pool.pop()
    except IndexError:
        _refill()
        value = _pool.pop()
    return UUID(int=(value & _VERSION_MASK) | _VERSION_4)
