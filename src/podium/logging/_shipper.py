"""The log shipper: run logs reach the API in batches, from a background thread.

:class:`APILogHandler` sits on the ``podium`` logger. A record made by a run logger
(``get_run_logger()``, or ``print`` with ``log_prints=True``) carries its
``flow_run_id`` and/or ``task_run_id``; the handler turns it into a
:class:`~podium.schemas.actions.LogCreate` and queues it. One thread sends the queue
with ``create_logs``. The flow engine flushes the shipper when a top-level flow run
ends, and every shipper is flushed at interpreter exit, so the logs of a run that ends
just before the process does are not lost.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

from podium.client import is_transient
from podium.engine._api import api_target, engine_client
from podium.engine._background import BackgroundSender, sender_for_this_process
from podium.schemas.actions import LogCreate

__all__ = ["APILogHandler", "LogShipper", "flush_logs", "get_shipper", "install_log_collector"]


class LogShipper:
    """Sends logs to one API in batches."""

    def __init__(self, target: tuple[str | None, str]) -> None:
        self.target = target
        self._sender = BackgroundSender(
            "podium-log-shipper", self._send, batch_size=500, linger=0.5, retry_if=is_transient
        )

    def put(self, log: LogCreate) -> None:
        self._sender.put(log)

    def put_many(self, logs: list[LogCreate]) -> None:
        for log in logs:
            self._sender.put(log)

    def flush(self, timeout: float | None = 30.0) -> bool:
        return self._sender.flush(timeout)

    def _send(self, logs: list[LogCreate]) -> None:
        engine_client(self.target).create_logs(logs)


class LogCollector:
    """Keeps logs in memory instead of sending them (used in worker processes)."""

    def __init__(self) -> None:
        self.logs: list[LogCreate] = []

    def put(self, log: LogCreate) -> None:
        self.logs.append(log)

    def put_many(self, logs: list[LogCreate]) -> None:
        self.logs.extend(logs)

    def flush(self, timeout: float | None = 30.0) -> bool:
        return True

    def drain(self) -> list[LogCreate]:
        logs, self.logs = self.logs, []
        return logs


_lock = threading.Lock()
_shippers: dict[tuple[str | None, str], LogShipper] = {}
_collector: LogCollector | None = None


def install_log_collector() -> LogCollector:
    """Collect logs in memory in this process from now on (process-pool workers)."""
    global _collector
    _collector = LogCollector()
    return _collector


def get_shipper() -> LogShipper | LogCollector:
    """The shipper for the API the settings point at."""
    if _collector is not None:
        return _collector
    target = api_target()
    shipper = _shippers.get(target)
    if shipper is not None and sender_for_this_process(shipper._sender):
        return shipper
    with _lock:
        shipper = _shippers.get(target)
        if shipper is None or not sender_for_this_process(shipper._sender):
            shipper = LogShipper(target)
            _shippers[target] = shipper
    return shipper


def flush_logs(timeout: float | None = 30.0) -> bool:
    """Send every queued log of this process's current API now."""
    return get_shipper().flush(timeout)


class APILogHandler(logging.Handler):
    """Queues records that belong to a flow run or task run for the API."""

    def emit(self, record: logging.LogRecord) -> None:
        flow_run_id = getattr(record, "flow_run_id", None)
        task_run_id = getattr(record, "task_run_id", None)
        if flow_run_id is None and task_run_id is None:
            return
        if getattr(record, "send_to_api", True) is False:
            return
        try:
            message = self.format(record)
            log = LogCreate.model_construct(
                name=record.name,
                level=record.levelno,
                message=message,
                timestamp=dt.datetime.fromtimestamp(record.created, dt.UTC),
                flow_run_id=flow_run_id,
                task_run_id=task_run_id,
            )
            get_shipper().put(log)
        except Exception:
            self.handleError(record)
