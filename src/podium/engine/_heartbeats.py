"""Flow-run heartbeats: proof to the server that a Running flow run's process is alive.

The server's crash detection marks a Running flow run Crashed when it has heard nothing
from it for ``PODIUM_HEARTBEAT_TIMEOUT_SECONDS``. One daemon thread per process sends
``POST /flow_runs/{id}/heartbeat`` for every flow run the engine is running (subflows
included) every third of that timeout.

The answer is the run's current state. When a top-level run is Cancelling, the thread
sends SIGTERM to its own process, provided SIGTERM is handled in Python (the engine turns
it into an exception in the main thread, and the policy records the run as Cancelled);
otherwise it only logs, and the runner or worker that owns the process stops it.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from podium.schemas.states import StateType
from podium.settings import get_settings

__all__ = ["beating", "heartbeat_interval"]

logger = logging.getLogger("podium.engine.heartbeats")

MIN_INTERVAL = 0.2


def heartbeat_interval() -> float:
    """Seconds between two heartbeats of one run: a third of the server's timeout."""
    return max(get_settings().heartbeat_timeout_seconds / 3, MIN_INTERVAL)


class _Beats:
    """The runs this process is running, and the thread that vouches for them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs: dict[UUID, tuple[Any, bool]] = {}
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._signalled: set[UUID] = set()
        self._interval = float("inf")

    def add(self, flow_run_id: UUID, client: Any, top_level: bool) -> None:
        with self._lock:
            self._runs[flow_run_id] = (client, top_level)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._loop, name="podium-heartbeats", daemon=True
                )
                self._thread.start()
            elif heartbeat_interval() < self._interval:
                # The settings changed under a sleeping thread (a shorter timeout):
                # wake it so that it waits the new interval, not the old one.
                self._wake.set()

    def remove(self, flow_run_id: UUID) -> None:
        with self._lock:
            self._runs.pop(flow_run_id, None)
            self._signalled.discard(flow_run_id)

    def _loop(self) -> None:
        while True:
            self._interval = heartbeat_interval()
            if self._wake.wait(self._interval):
                self._wake.clear()
                continue
            with self._lock:
                runs = list(self._runs.items())
            for flow_run_id, (client, top_level) in runs:
                self._beat(flow_run_id, client, top_level)

    def _beat(self, flow_run_id: UUID, client: Any, top_level: bool) -> None:
        try:
            state = client.heartbeat_flow_run(flow_run_id)
        except Exception as exc:  # the next beat may get through; never kill the run
            logger.debug("Heartbeat of flow run %s failed: %r", flow_run_id, exc)
            return
        if state is None or state.type != StateType.CANCELLING:
            return
        if not top_level or flow_run_id in self._signalled:
            return
        self._signalled.add(flow_run_id)
        handler = signal.getsignal(signal.SIGTERM)
        if callable(handler):
            logger.info("Flow run %s is being cancelled; stopping this process.", flow_run_id)
            os.kill(os.getpid(), signal.SIGTERM)
        else:
            logger.warning(
                "Flow run %s is being cancelled; its runner or worker stops this process.",
                flow_run_id,
            )


_BEATS = _Beats()


@contextmanager
def beating(flow_run_id: UUID, client: Any, *, top_level: bool) -> Iterator[None]:
    """Send heartbeats for ``flow_run_id`` while the block runs."""
    _BEATS.add(flow_run_id, client, top_level)
    try:
        yield
    finally:
        _BEATS.remove(flow_run_id)
