"""Waking long polls: workers waiting for runs hear of new ones at once.

A route that creates a flow run, or moves one to Scheduled, calls
:func:`notify_work` after its transaction commits; every waiting poll then
looks again. Waiters also look again every :data:`RECHECK_SECONDS`, which
catches runs that become due as time passes and runs created through
another server replica. When the server stops, :meth:`WorkNotifier.close`
makes every waiting poll answer what it has at once: the server waits for
requests in progress before it exits, and a poll whose worker had already
gone kept a stopping server alive for the rest of its wait (about ten
seconds in the end-to-end tests).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

from fastapi import Depends, FastAPI, Request

T = TypeVar("T")

RECHECK_SECONDS = 1.0


class WorkNotifier:
    """A broadcast signal on the app's event loop: "new work may be due"."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self.closed = False

    def current(self) -> asyncio.Event:
        """The event the next :meth:`notify` sets; take it *before* looking for work."""
        return self._event

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    def close(self) -> None:
        """The server is stopping: every poll answers now, and later ones do not wait."""
        self.closed = True
        self.notify()


async def get_notifier(request: Request) -> WorkNotifier:
    return work_notifier(request.app)


def work_notifier(app: FastAPI) -> WorkNotifier:
    notifier: WorkNotifier | None = getattr(app.state, "work_notifier", None)
    if notifier is None:
        notifier = app.state.work_notifier = WorkNotifier()
    return notifier


def notify_work(app: FastAPI) -> None:
    """Wake every poll waiting for runs (call after the write has committed)."""
    work_notifier(app).notify()


NotifierDep = Annotated[WorkNotifier, Depends(get_notifier)]


async def long_poll(
    notifier: WorkNotifier, look: Callable[[], Awaitable[list[T]]], wait_seconds: float
) -> list[T]:
    """``look()`` until it finds something or ``wait_seconds`` have passed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_seconds
    while True:
        event = notifier.current()
        found = await look()
        remaining = deadline - loop.time()
        if found or remaining <= 0 or notifier.closed:
            return found
        try:
            await asyncio.wait_for(event.wait(), min(RECHECK_SECONDS, remaining))
        except TimeoutError:
            pass
