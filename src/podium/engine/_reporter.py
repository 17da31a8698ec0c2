"""The task-run reporter: task-run records reach the API in the background, in batches.

The task engine decides a task run's states itself (no server consent is needed for a
plain task) and hands each record to the reporter: a creation (the shape of
:class:`~podium.schemas.actions.TaskRunCreate`, with the run's first state) and state
proposals, as plain JSON-ready dicts (:mod:`podium.engine._records`). The reporter's
thread sends them with ``report_task_runs`` (one request, one transaction per batch;
creations are idempotent by id). The flow engine calls
:meth:`TaskRunReporter.flush` before it proposes the flow run's final state, so a
finished flow run never shows a task run still running.

In a process-pool worker the reporter is a :class:`CollectingReporter`: records are
kept and returned to the parent process with the task's result, and sent from there.
"""

from __future__ import annotations

import logging
import threading
from typing import Any
from uuid import UUID

from podium.client import is_transient
from podium.engine._api import api_target, engine_client
from podium.engine._background import BackgroundSender, sender_for_this_process
from podium.engine._records import Record, is_proposal
from podium.engine._records import proposal as proposal_record

__all__ = ["CollectingReporter", "TaskRunReporter", "get_reporter", "install_collector"]

logger = logging.getLogger("podium.engine")


class TaskRunReporter:
    """Sends task-run creations and state proposals to one API, in batches."""

    def __init__(self, target: tuple[str | None, str]) -> None:
        self.target = target
        self._sender = BackgroundSender(
            "podium-task-run-reporter", self._send, retry_if=is_transient
        )

    def create(self, record: Record) -> None:
        """Queue a task run's creation (its ``state`` is its first state)."""
        self._sender.put(record)

    def propose(self, task_run_id: UUID, state: Record, force: bool = False) -> None:
        """Queue a state proposal for a task run."""
        self._sender.put(proposal_record(task_run_id, state, force))

    def put_many(self, records: list[Any]) -> None:
        """Queue records collected elsewhere (a process-pool worker)."""
        for record in records:
            self._sender.put(record)

    def flush(self, timeout: float | None = 60.0) -> bool:
        """Wait until every queued record is written; ``False`` if ``timeout`` passed."""
        done = self._sender.flush(timeout)
        if not done:
            logger.error(
                "Task-run records still unsent after %ss: %d record(s).",
                timeout,
                self._sender.unsent,
            )
        return done

    def _send(self, items: list[Record]) -> None:
        creations: list[Record] = []
        proposals: list[Record] = []
        for item in items:
            (proposals if is_proposal(item) else creations).append(item)
        batch = {"task_runs": creations, "states": proposals}
        result = engine_client(self.target).report_task_runs(batch)
        refused = result.refused
        if refused:
            reasons = {r.reason for r in refused}
            logger.warning(
                "The API refused %d task-run state proposal(s): %s",
                len(refused),
                "; ".join(sorted(str(reason) for reason in reasons)),
            )


class CollectingReporter:
    """Keeps records in memory instead of sending them (used in worker processes)."""

    def __init__(self) -> None:
        self.records: list[Any] = []

    def create(self, record: Record) -> None:
        self.records.append(record)

    def propose(self, task_run_id: UUID, state: Record, force: bool = False) -> None:
        self.records.append(proposal_record(task_run_id, state, force))

    def put_many(self, records: list[Any]) -> None:
        self.records.extend(records)

    def flush(self, timeout: float | None = 60.0) -> bool:
        return True

    def drain(self) -> list[Any]:
        """Return and forget the records collected so far."""
        records, self.records = self.records, []
        return records


_lock = threading.Lock()
_reporters: dict[tuple[str | None, str], TaskRunReporter] = {}
_collector: CollectingReporter | None = None


def install_collector() -> CollectingReporter:
    """Collect records in memory in this process from now on (process-pool workers)."""
    global _collector
    _collector = CollectingReporter()
    return _collector


def get_reporter() -> TaskRunReporter | CollectingReporter:
    """The reporter for the API the settings point at."""
    if _collector is not None:
        return _collector
    target = api_target()
    reporter = _reporters.get(target)
    if reporter is not None and sender_for_this_process(reporter._sender):
        return reporter
    with _lock:
        reporter = _reporters.get(target)
        if reporter is None or not sender_for_this_process(reporter._sender):
            reporter = TaskRunReporter(target)
            _reporters[target] = reporter
    return reporter
