"""The default task runner: a bounded pool of threads.

Submitted runs wait in the runner's own queue, in order; at most ``max_workers`` drain
loops, each one work item on a ``ThreadPoolExecutor`` (so one thread), take runs off it
until it is empty. A run is executed in a copy of the submitting context so the flow run
context, tags and print capture follow it. Async tasks run on an event loop kept per
worker thread. Leaving the runner waits for every submitted run.

One work item per run cost the executor's queue, its idle-thread semaphore and a worker
wake-up per run: 25-45 us a run on a two-core machine, more than running a small task;
a drain loop pays those once for every run it takes while the queue holds any.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import threading
from collections import deque
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Self

from podium.engine._common import new_id
from podium.engine.task_engine import run_task_async, run_task_sync
from podium.futures import PodiumConcurrentFuture, PodiumFuture, RunFuture
from podium.task_runners._base import TaskRunner

__all__ = ["ThreadPoolTaskRunner"]

_Job = tuple[RunFuture[Any], contextvars.Context, Any, tuple[Any, ...], dict[str, Any]]
"""A queued run: its future, the submitter's context, what to call and its arguments."""

_NO_KEYWORDS: dict[str, Any] = {}  # a ``.map``'s runs pass everything by position


class ThreadPoolTaskRunner(TaskRunner):
    """Runs task runs on a pool of at most ``max_workers`` threads.

    Args:
        max_workers: the pool size (default ``min(32, cpu_count + 4)``).
    """

    def __init__(self, max_workers: int | None = None) -> None:
        if max_workers is not None and max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self.max_workers = max_workers or min(32, (os.cpu_count() or 1) + 4)
        self._executor: ThreadPoolExecutor | None = None
        self._queue: deque[_Job] = deque()
        self._draining = 0  # drain loops running or waiting for a thread
        self._lock = threading.Lock()
        self._local = threading.local()
        self._loops: list[asyncio.AbstractEventLoop] = []

    def __repr__(self) -> str:
        return f"ThreadPoolTaskRunner(max_workers={self.max_workers})"

    def duplicate(self) -> Self:
        return type(self)(max_workers=self.max_workers)

    def _pool(self) -> ThreadPoolExecutor:
        executor = self._executor
        if executor is None:
            with self._lock:
                if self._executor is None:
                    self._executor = ThreadPoolExecutor(
                        self.max_workers, thread_name_prefix="podium-task"
                    )
                executor = self._executor
        return executor

    def submit(
        self, task: Any, parameters: dict[str, Any], wait_for: Any = None, **identity: Any
    ) -> PodiumConcurrentFuture[Any]:
        task_run_id = new_id()
        future: RunFuture[Any] = RunFuture()  # also the run's status
        identity["task_run_id"] = task_run_id
        identity["status"] = future
        target = self._run_async if task.isasync else run_task_sync
        self._queue.append(
            (
                future,
                contextvars.copy_context(),
                target,
                (task, parameters, wait_for, "future"),
                identity,
            )
        )
        if self._draining < self.max_workers:
            self._start_draining()
        return PodiumConcurrentFuture(task_run_id, future, future)

    def submit_many(
        self,
        task: Any,
        calls: Sequence[dict[str, Any]],
        wait_for: Any,
        flow_ctx: Any,
        identities: Sequence[tuple[str, int]],
    ) -> list[PodiumFuture[Any]]:
        """:meth:`submit` for each of a ``.map``'s runs, in one loop.

        Each run's arguments are one tuple, in ``run_task_sync``'s order: a call to
        ``submit`` per run, and the keyword arguments it collects and passes on, cost
        a tenth of a small mapped run.
        """
        if task.isasync:
            return super().submit_many(task, calls, wait_for, flow_ctx, identities)
        queue = self._queue
        copy_context = contextvars.copy_context
        futures: list[PodiumFuture[Any]] = []
        for parameters, (dynamic_key, index) in zip(calls, identities, strict=True):
            task_run_id = new_id()
            future: RunFuture[Any] = RunFuture()  # also the run's status
            arguments = (
                task,
                parameters,
                wait_for,
                "future",
                flow_ctx,
                task_run_id,
                dynamic_key,
                index,
                future,
            )
            queue.append((future, copy_context(), run_task_sync, arguments, _NO_KEYWORDS))
            if self._draining < self.max_workers:
                self._start_draining()
            futures.append(PodiumConcurrentFuture(task_run_id, future, future))
        return futures

    def _start_draining(self) -> None:
        """Add a drain loop if fewer than ``max_workers`` run."""
        with self._lock:
            if self._draining >= self.max_workers:
                return
            self._draining += 1
        self._pool().submit(self._drain)

    def _drain(self) -> None:
        """Run queued runs on this thread until the queue is empty."""
        queue = self._queue
        while True:
            try:
                future, context, target, args, kwargs = queue.popleft()
            except IndexError:
                with self._lock:
                    self._draining -= 1
                # A run queued after the look above, by a submitter that saw every
                # loop busy, is this loop's to take (unless another has started).
                if not queue:
                    return
                with self._lock:
                    if self._draining >= self.max_workers:
                        return
                    self._draining += 1
                continue
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = context.run(target, *args, **kwargs)
            except BaseException as exc:
                future.set_exception(exc)
            else:
                future.set_result(result)
            del future, context, args, kwargs

    def _run_async(
        self,
        task: Any,
        parameters: dict[str, Any],
        wait_for: Any,
        return_type: str,
        **identity: Any,
    ) -> Any:
        """Run an async task on this worker thread's event loop (one per thread)."""
        loop = getattr(self._local, "loop", None)
        if loop is None:
            loop = self._local.loop = asyncio.new_event_loop()
            with self._lock:
                self._loops.append(loop)
        return loop.run_until_complete(
            run_task_async(task, parameters, wait_for, return_type, **identity)
        )

    def __exit__(self, *exc_info: object) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            if exc_info and isinstance(exc_info[1], KeyboardInterrupt | SystemExit):
                # Runs not started yet never start.
                while self._queue:
                    self._queue.popleft()[0].cancel()
            executor.shutdown(wait=True)
        with self._lock:
            loops, self._loops = self._loops, []
        for loop in loops:
            loop.close()
