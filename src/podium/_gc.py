"""Start-up allocations and the cyclic garbage collector.

Loading the SDK and starting the embedded server create several hundred thousand
objects (modules, classes, pydantic validators, SQLAlchemy tables, routes) that live
as long as the process. While they are being created, the cyclic collector keeps
scanning them: dozens of young-generation passes and a few full ones, about a fifth
of a short script's run time, finding nothing to free. :func:`long_lived` pauses
the collector over such a block and then moves what it made to the permanent
generation (``gc.freeze()``), where later collections no longer scan it.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["long_lived"]


@contextmanager
def long_lived() -> Iterator[None]:
    """Run the block with the cyclic collector paused, then freeze what exists.

    Does nothing when the collector is already off (the caller's choice, or an
    enclosing block). Objects are still freed when their last reference goes;
    only reference cycles made before the block ends wait for ``gc.unfreeze()``.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


_pause_lock = threading.Lock()
_pause_owner: object | None = None


@contextmanager
def paused() -> Iterator[None]:
    """Run the block with the cyclic collector paused (it may run in any thread).

    The block that pauses the collector resumes it when it ends; blocks that begin
    meanwhile, in other threads, run in that pause and do not extend it, so that
    overlapping blocks (a busy server's requests) never keep the collector off for
    longer than one block lasts. A collector already off stays off; one that other code
    turns off while the block runs is on again when it ends.
    """
    global _pause_owner
    token = object()
    with _pause_lock:
        if _pause_owner is None and gc.isenabled():
            gc.disable()
            _pause_owner = token
    try:
        yield
    finally:
        with _pause_lock:
            if _pause_owner is token:
                _pause_owner = None
                gc.enable()
