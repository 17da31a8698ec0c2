"""A task runner that runs each task run in a pool of worker processes.

For CPU-bound Python code that the GIL would serialise in threads. The parent resolves
a run's upstream futures, then ships the task and its arguments (with ``cloudpickle``)
to a worker started with ``spawn``. The worker runs the same task engine, but keeps the
run's records and logs in memory and returns them with the final state; the parent
queues them to its own reporter and log shipper. Workers therefore never talk to the
API (nor open the embedded server's database).

Arguments and results must be picklable by ``cloudpickle``.
"""

from __future__ import annotations

import asyncio
import contextvars
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any, Self
from uuid import UUID

import cloudpickle

from podium.context import FlowRunContext
from podium.engine._common import new_id
from podium.engine._reporter import get_reporter, install_collector
from podium.engine._resolve import resolve_inputs
from podium.engine.task_engine import run_task_async, run_task_sync
from podium.futures import PodiumConcurrentFuture, RunStatus
from podium.logging._shipper import get_shipper, install_log_collector
from podium.schemas.states import StateType
from podium.states import Failed
from podium.task_runners._base import TaskRunner

__all__ = ["ProcessPoolTaskRunner"]


def _in_worker(payload: bytes) -> bytes:
    """Run one task run in a worker process; return (state, records, logs) pickled."""
    reporter = install_collector()
    shipper = install_log_collector()
    task, parameters, inputs, flow_run, flow_parameters, log_prints, persist, identity = (
        cloudpickle.loads(payload)
    )
    flow_ctx = FlowRunContext(None, flow_run, flow_parameters, None, None, persist, log_prints)
    with flow_ctx:
        if task.isasync:
            state = asyncio.run(
                run_task_async(
                    task,
                    parameters,
                    None,
                    "state",
                    flow_ctx=flow_ctx,
                    task_inputs=inputs,
                    **identity,
                )
            )
        else:
            state = run_task_sync(
                task, parameters, None, "state", flow_ctx=flow_ctx, task_inputs=inputs, **identity
            )
    records, logs = reporter.drain(), shipper.drain()
    try:
        return cloudpickle.dumps((state, records, logs))
    except Exception as exc:
        message = f"The task's result could not be sent back from its worker process: {exc}"
        failed = Failed(message=message, state_details=state.state_details)
        return cloudpickle.dumps((failed, records, logs))


class ProcessPoolTaskRunner(TaskRunner):
    """Runs task runs in at most ``max_workers`` worker processes.

    Args:
        max_workers: the number of processes (default: the number of CPUs).
    """

    def __init__(self, max_workers: int | None = None) -> None:
        if max_workers is not None and max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self.max_workers = max_workers or os.cpu_count() or 1
        self._processes: ProcessPoolExecutor | None = None
        self._dispatchers: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ProcessPoolTaskRunner(max_workers={self.max_workers})"

    def duplicate(self) -> Self:
        return type(self)(max_workers=self.max_workers)

    def _pools(self) -> tuple[ProcessPoolExecutor, ThreadPoolExecutor]:
        with self._lock:
            if self._processes is None or self._dispatchers is None:
                self._processes = ProcessPoolExecutor(
                    self.max_workers, mp_context=multiprocessing.get_context("spawn")
                )
                self._dispatchers = ThreadPoolExecutor(
                    self.max_workers, thread_name_prefix="podium-dispatch"
                )
            return self._processes, self._dispatchers

    def submit(
        self, task: Any, parameters: dict[str, Any], wait_for: Any = None, **identity: Any
    ) -> PodiumConcurrentFuture[Any]:
        task_run_id = new_id()
        status = RunStatus()
        _, dispatchers = self._pools()
        context = contextvars.copy_context()
        future = dispatchers.submit(
            context.run, self._dispatch, task, parameters, wait_for, task_run_id, status, identity
        )
        return PodiumConcurrentFuture(task_run_id, future, status)

    def _dispatch(
        self,
        task: Any,
        parameters: dict[str, Any],
        wait_for: Any,
        task_run_id: UUID,
        status: RunStatus,
        identity: dict[str, Any],
    ) -> Any:
        identity = {**identity, "task_run_id": task_run_id, "status": None}
        resolved, inputs, failure = resolve_inputs(parameters, wait_for)
        flow_ctx: FlowRunContext | None = identity.pop("flow_ctx", None)
        if failure is not None:
            # nothing to run: record NotReady here
            return run_task_sync(
                task,
                parameters,
                wait_for,
                "state",
                flow_ctx=flow_ctx,
                **{**identity, "status": status},
            )
        flow_run = flow_ctx.flow_run if flow_ctx else None
        flow_parameters = _picklable(flow_ctx.parameters if flow_ctx else {})
        payload = cloudpickle.dumps(
            (
                task,
                resolved,
                inputs,
                flow_run,
                flow_parameters,
                bool(flow_ctx and flow_ctx.log_prints),
                bool(flow_ctx and flow_ctx.persist_result),
                identity,
            )
        )
        processes, _ = self._pools()
        status.type = StateType.RUNNING
        state, records, logs = cloudpickle.loads(processes.submit(_in_worker, payload).result())
        get_reporter().put_many(records)
        get_shipper().put_many(logs)
        status.type = state.type
        return state

    def __exit__(self, *exc_info: object) -> None:
        with self._lock:
            processes, self._processes = self._processes, None
            dispatchers, self._dispatchers = self._dispatchers, None
        if dispatchers is not None:
            dispatchers.shutdown(wait=True)
        if processes is not None:
            processes.shutdown(wait=True)


def _picklable(values: dict[str, Any]) -> dict[str, Any]:
    try:
        cloudpickle.dumps(values)
    except Exception:
        return {}
    return values
