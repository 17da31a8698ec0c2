"""A bounded in-process queue drained in batches by one background thread.

The task-run reporter and the log shipper are both one of these: producers append
items without waiting on the network; one daemon thread takes up to ``batch_size`` items
at a time (lingering ``linger`` seconds so that a busy run sends few, large batches) and
hands them to ``send``. When the queue holds ``max_size`` items, producers wait: memory
stays bounded and nothing is dropped. A put appends without taking the lock, unless it
must wake the thread: with a task's two records put from each of several worker threads,
a lock per put had them queue for it, at 30-50 us per ``.map`` item.

``flush()`` waits until everything queued before it has been sent; when the thread is
not sending at that moment, the flushing thread sends the rest itself rather than wake
the thread and wait to be woken in turn (the flow engine flushes at the end of every
flow run, so those two hand-overs were paid per run). One batch is in flight at a time,
whoever sends it, so batches reach the API in the order they were queued. Every sender
is flushed at interpreter exit. A fork gives the child a fresh, empty sender (threads
do not survive a fork).

A batch that ``send`` fails on with an error ``retry_if`` calls transient (the API
unreachable, or restarting, after the client's own retries) is sent again, after
growing pauses, until ``patience`` seconds have passed since its first failure; a
server restart then costs no records. It stays in flight meanwhile, so nothing queued
after it overtakes it. A batch that fails otherwise, or for longer, is logged loudly
with what was lost; the sender carries on with the next.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from typing import Any

__all__ = ["BackgroundSender"]

logger = logging.getLogger("podium.engine")

_senders: weakref.WeakSet[BackgroundSender] = weakref.WeakSet()
_exit_hook = threading.Lock()
_exit_hook_registered = False

# Pauses between sends of a batch that failed transiently: doubling, at most this long.
_FIRST_PAUSE = 0.2
_LONGEST_PAUSE = 5.0


class BackgroundSender:
    """Queue items; one thread sends them in batches with ``send(list_of_items)``.

    Args:
        name: the thread's name (also used in error messages).
        send: called on the background thread with each batch; may raise.
        batch_size: most items per batch.
        max_size: most items queued before producers wait.
        linger: seconds to wait for more items before sending a short batch.
        retry_if: whether an error ``send`` raised may pass if the batch is sent again.
        patience: seconds to keep sending a batch again after its first such error.
    """

    def __init__(
        self,
        name: str,
        send: Callable[[list[Any]], None],
        *,
        batch_size: int = 1000,
        max_size: int = 20_000,
        linger: float = 0.05,
        retry_if: Callable[[Exception], bool] | None = None,
        patience: float = 30.0,
    ) -> None:
        self.name = name
        self._send = send
        self.batch_size = batch_size
        self.max_size = max_size
        self.linger = linger
        self.retry_if = retry_if
        self.patience = patience
        self._items: deque[Any] = deque()
        self._cond = threading.Condition(threading.Lock())
        self._in_flight = 0  # items of the batch being sent
        self._hurry = 0
        self._sending = False
        # False while the thread waits for a first item: the producer that sees it
        # False takes the lock to wake the thread; every other put takes no lock.
        self._awake = True
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        _senders.add(self)

    # --- producers ------------------------------------------------------------

    def put(self, item: Any) -> None:
        """Queue one item (waits only while the queue is full).

        ``deque.append`` needs no lock; the lock is taken only to wake the thread
        (when it waits for a first item, or a full batch is ready) or to wait for
        room. A lock per put made producers on several threads queue for it.
        """
        if self._thread is None:
            with self._cond:
                if self._thread is None:
                    self._start()
        items = self._items
        if len(items) >= self.max_size:
            self._wait_for_room()
        items.append(item)
        if not self._awake or len(items) == self.batch_size:
            with self._cond:
                self._awake = True
                self._cond.notify_all()

    def _wait_for_room(self) -> None:
        cond = self._cond
        with cond:
            while len(self._items) >= self.max_size:
                self._hurry += 1
                cond.notify_all()
                cond.wait(0.5)
                self._hurry -= 1

    def flush(self, timeout: float | None = 60.0) -> bool:
        """Wait until everything queued so far is sent; ``False`` on timeout."""
        if self._thread is None:
            return True
        deadline = None if timeout is None else time.monotonic() + timeout
        cond = self._cond
        with cond:
            self._hurry += 1
            try:
                while self._items or self._sending:
                    if self._items and not self._sending:
                        self._send_locked(self._pop_batch())
                        continue
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        return False
                    cond.notify_all()
                    cond.wait(remaining if remaining is not None else 1.0)
            finally:
                self._hurry -= 1
        return True

    @property
    def unsent(self) -> int:
        """Items queued or in flight."""
        return len(self._items) + self._in_flight

    # --- the thread -------------------------------------------------------------

    def _start(self) -> None:
        _register_exit_hook()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def _pop_batch(self) -> list[Any]:
        """Take the next batch off the queue (the lock is held); it is now in flight."""
        n = min(len(self._items), self.batch_size)
        self._sending = True
        self._in_flight = n
        return [self._items.popleft() for _ in range(n)]

    def _take(self) -> list[Any]:
        cond = self._cond
        with cond:
            while True:
                while not self._items or self._sending:
                    # Marked before looking again: a producer appending after the
                    # look sees the mark and wakes this wait (see ``put``).
                    self._awake = False
                    if self._items and not self._sending:
                        break
                    cond.wait()
                self._awake = True
                if self._hurry == 0 and len(self._items) < self.batch_size:
                    deadline = time.monotonic() + self.linger
                    while self._hurry == 0 and len(self._items) < self.batch_size:
                        remaining = deadline - time.monotonic()
                        if remaining <= 0:
                            break
                        cond.wait(remaining)
                # a flushing thread may have sent them meanwhile
                if self._items and not self._sending:
                    return self._pop_batch()

    def _send_locked(self, batch: list[Any]) -> None:
        """Send ``batch`` with the lock released; account for it when done."""
        self._cond.release()
        try:
            self._send_batch(batch)
        finally:
            self._cond.acquire()
            self._sending = False
            self._in_flight = 0
            self._cond.notify_all()

    def _send_batch(self, batch: list[Any]) -> None:
        """Send ``batch``, again while its errors are transient and patience lasts.

        Called without the lock: the batch is in flight, so nothing overtakes it.
        """
        deadline: float | None = None
        pause = _FIRST_PAUSE
        while True:
            try:
                self._send(batch)
                return
            except Exception as exc:
                now = time.monotonic()
                if self.retry_if is not None and self.retry_if(exc):
                    if deadline is None:
                        deadline = now + self.patience
                    if now + pause <= deadline:
                        logger.warning(
                            "%s could not send %d record(s) (%s); trying again in %.1fs.",
                            self.name,
                            len(batch),
                            exc,
                            pause,
                        )
                        time.sleep(pause)
                        pause = min(pause * 2, _LONGEST_PAUSE)
                        continue
                logger.error(
                    "%s could not send %d record(s); they are lost: %s",
                    self.name,
                    len(batch),
                    exc,
                    exc_info=not isinstance(exc, OSError) and deadline is None,
                )
                return

    def _run(self) -> None:
        while True:
            batch = self._take()
            try:
                self._send_batch(batch)
            finally:
                with self._cond:
                    self._sending = False
                    self._in_flight = 0
                    self._cond.notify_all()


def sender_for_this_process(sender: BackgroundSender | None) -> bool:
    """Whether ``sender`` was made in this process (not inherited through a fork)."""
    return sender is not None and sender._pid == os.getpid()


def _flush_all() -> None:
    for sender in list(_senders):
        if sender._pid == os.getpid() and sender.unsent:
            if not sender.flush(timeout=30.0):
                logger.error(
                    "%s: %d record(s) were not sent before exit.", sender.name, sender.unsent
                )


def _register_exit_hook() -> None:
    # Registered on first use, not at import: exit hooks run last-registered first, and
    # ours must run before the client's (which shuts the embedded server down).
    global _exit_hook_registered
    with _exit_hook:
        if not _exit_hook_registered:
            atexit.register(_flush_all)
            _exit_hook_registered = True
