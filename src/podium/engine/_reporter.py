"""The task-run reporter: task-run records reach the API in the background, in batches.

The task engine decides a task run's states itself (no server consent is needed for a
plain task) and hands each record to the reporter: a creation (the shape of
:class:`~podium.schemas.actions.TaskRunCreate`, with the run's first state) and state
proposals, as plain JSON-ready dicts (:mod:`podium.engine._records`). The reporter's
thread sends them with ``report_task_runs`` (one request, one transaction per batch;
creations are idempotent by id); a run created and ended between two sends goes as
one array (:func:`batch_of`). The flow engine calls
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
from podium.engine._records import Record
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
        result = engine_client(self.target).report_task_runs(batch_of(items))
        refused = result.refused
        if refused:
            reasons = {r.reason for r in refused}
            logger.warning(
                "The API refused %d task-run state proposal(s): %s",
                len(refused),
                "; ".join(sorted(str(reason) for reason in reasons)),
            )


def batch_of(items: list[Record]) -> Record:
    """The batch that reports ``items`` (creations and proposals, in the order queued).

    A creation in Running whose first proposal is its final state, each with only a
    type and a time (a small task's whole life between two sends), goes as one of
    the batch's ``ended_runs``: an array the API validates at a sixth of the cost
    of the two records. Every other record goes as it is, in order.
    """
    creations: list[Record | None] = []
    proposals: list[Record] = []
    ended: list[list[Any]] = []
    # Creations that may end in this batch, by their id's integer (hashing a UUID
    # runs Python code; an id in text as it is): their place in ``creations``.
    open_runs: dict[Any, int] = {}
    for item in items:
        run_id = item.get("task_run_id")
        if run_id is not None:
            place = open_runs.pop(run_id.int if type(run_id) is UUID else run_id, None)
            if place is not None:
                state = item["state"]
                if (
                    len(item) == 2  # not forced
                    and len(state) == 2
                    and state.get("type") in _FINAL
                    and getattr(state.get("timestamp"), "tzinfo", None) is not None
                ):
                    run = creations[place]
                    creations[place] = None
                    assert run is not None
                    ended.append(
                        [
                            run["id"],
                            run.get("flow_run_id"),
                            run["task_key"],
                            run["dynamic_key"],
                            run["name"],
                            run.get("flow_run_run_count", 0),
                            run.get("empirical_policy", _NO_RETRIES)["retries"],
                            run["state"]["timestamp"],
                            state["timestamp"],
                            state["type"],
                        ]
                    )
                    continue
            proposals.append(item)
        else:
            state = item.get("state", _NO_STATE)
            policy = item.get("empirical_policy", _NO_RETRIES)
            if (
                len(state) == 2
                and state.get("type") == "RUNNING"
                and getattr(state.get("timestamp"), "tzinfo", None) is not None  # aware
                and _NEEDED_KEYS <= item.keys() <= _ENDING_KEYS
                and (policy is _NO_RETRIES or policy.keys() == _RETRIES_ONLY)
            ):
                run_id = item["id"]
                open_runs[run_id.int if type(run_id) is UUID else run_id] = len(creations)
            creations.append(item)
    batch: Record = {"task_runs": [c for c in creations if c is not None], "states": proposals}
    if ended:
        batch["ended_runs"] = ended
    return batch


# A creation with these fields, and perhaps those, can be sent as an ended run.
_NEEDED_KEYS = frozenset({"task_key", "dynamic_key", "id", "name", "state"})
_ENDING_KEYS = _NEEDED_KEYS | {"flow_run_id", "flow_run_run_count", "empirical_policy"}
# A policy an ended run can carry: its number of retries alone (or none at all).
_RETRIES_ONLY = frozenset({"retries"})
_NO_RETRIES: Record = {"retries": None}
_FINAL = frozenset({"COMPLETED", "FAILED", "CANCELLED", "CRASHED"})
_NO_STATE: Record = {}


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
