"""The default task runner: a bounded pool of threads.

Each submitted run is one work item on a ``ThreadPoolExecutor`` (no thread per task),
executed in a copy of the submitting context so the flow run context, tags and print
capture follow it. Async tasks run on an event loop kept per worker thread. Leaving the
runner waits for every submitted run.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Self

from podium.engine._common import new_id
from podium.engine.task_engine import run_task_async, run_task_sync
from podium.futures import PodiumConcurrentFuture, RunStatus
from podium.task_runners._base import TaskRunner

__all__ = ["ThreadPoolTaskRunner"]


def _run_sync(task: Any, parameters: dict[str, Any], wait_for: Any, **identity: Any) -> Any:
    return run_task_sync(task, parameters, wait_for, "state", **identity)


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
        status = RunStatus()
        context = contextvars.copy_context()
        target = self._run_async if task.isasync else _run_sync
        future = self._pool().submit(
            context.run,  # type: ignore[arg-type]  # Context.run's ParamSpec confuses mypy
            target,
            task,
            parameters,
            wait_for,
            task_run_id=task_run_id,
            status=status,
            **identity,
        )
        return PodiumConcurrentFuture(task_run_id, future, status)

    def _run_async(
        self, task: Any, parameters: dict[str, Any], wait_for: Any, **identity: Any
    ) -> Any:
        """Run an async task on this worker thread's event loop (one per thread)."""
        loop = getattr(self._local, "loop", None)
        if loop is None:
            loop = self._local.loop = asyncio.new_event_loop()
            with self._lock:
                self._loops.append(loop)
        return loop.run_until_complete(
            run_task_async(task, parameters, wait_for, "state", **identity)
        )

    def __exit__(self, *exc_info: object) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            interrupted = exc_info and isinstance(exc_info[1], KeyboardInterrupt | SystemExit)
            executor.shutdown(wait=True, cancel_futures=bool(interrupted))
        with self._lock:
            loops, self._loops = self._loops, []
        for loop in loops:
            loop.close()
