"""Run contexts: what the engine knows about the flow run or task run in progress.

The engine enters a :class:`FlowRunContext` while a flow's function runs and a
:class:`TaskRunContext` while a task's function runs; each is held in a
``contextvars.ContextVar``, so it follows the code into threads the task runner starts
(the runner copies the context) and across ``await``. ``FlowRunContext.get()`` and
``TaskRunContext.get()`` return ``None`` outside a run.

:func:`tags` adds tags to every flow run and task run created inside the ``with``
block. :func:`get_run_context` returns the innermost run context or raises
:class:`~podium.exceptions.MissingContextError`.

These are plain classes (not pydantic models): one is built per task run, and the per-task
cost matters.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import Any, ClassVar, Generic, Self, TypeVar
from uuid import UUID

from podium.exceptions import MissingContextError

__all__ = [
    "FlowRunContext",
    "TaskRunContext",
    "TaskRunInfo",
    "get_run_context",
    "tags",
]

T = TypeVar("T")


class _Context(Generic[T]):
    """Enter/exit with a context variable; ``get()`` returns the current one."""

    __slots__ = ("_token",)
    _var: ClassVar[ContextVar[Any]]

    def __enter__(self) -> Self:
        self._token: Token[Any] = self._var.set(self)
        return self

    def __exit__(self, *exc: object) -> None:
        self._var.reset(self._token)

    @classmethod
    def get(cls) -> Self | None:
        """The context in effect here, or ``None`` outside one."""
        return cls._var.get()


class FlowRunContext(_Context["FlowRunContext"]):
    """The flow run in progress.

    Attributes:
        flow: the :class:`~podium.flows.Flow` being run.
        flow_run: the run as the API returned it (:class:`podium.schemas.core.FlowRun`);
            ``run_count`` is kept current across retries.
        parameters: the parameters the function was called with (Python values).
        task_runner: the task runner used by ``submit`` and ``map``.
        result_store: where results of this flow (and of tasks by default) are written.
        persist_result: whether this flow's result is persisted.
        log_prints: whether ``print`` inside the run is captured as a log.
        parent: the context of the parent flow run, for a subflow.
        reporter: where task-run records of this flow run are queued.
    """

    __slots__ = (
        "_counter_lock",
        "_counters",
        "active_task_runs",
        "flow",
        "flow_run",
        "log_prints",
        "parameters",
        "parent",
        "persist_result",
        "reporter",
        "result_store",
        "task_runner",
    )
    _var: ClassVar[ContextVar[FlowRunContext | None]] = ContextVar("podium_flow_run", default=None)

    def __init__(
        self,
        flow: Any,
        flow_run: Any,
        parameters: dict[str, Any],
        task_runner: Any,
        result_store: Any,
        persist_result: bool,
        log_prints: bool,
        parent: FlowRunContext | None = None,
        reporter: Any = None,
    ) -> None:
        self.flow = flow
        self.reporter = reporter
        self.flow_run = flow_run
        self.parameters = parameters
        self.task_runner = task_runner
        self.result_store = result_store
        self.persist_result = persist_result
        self.log_prints = log_prints
        self.parent = parent
        self.active_task_runs: dict[UUID, Any] = {}
        self._counters: dict[Any, int] = {}
        self._counter_lock = threading.Lock()

    def next_occurrence(self, key: Any) -> int:
        """How many calls with identity ``key`` this run made before this one."""
        with self._counter_lock:
            n = self._counters.get(key, 0)
            self._counters[key] = n + 1
        return n

    def next_occurrences(self, first: Any, second: Any, calls: int = 1) -> tuple[int, int]:
        """:meth:`next_occurrence` of two keys under one lock (a task call counts two).

        With ``calls``, counts that many calls at once (a ``.map``) and returns the
        first one's occurrences; the others follow in order.
        """
        counters = self._counters
        with self._counter_lock:
            n = counters.get(first, 0)
            counters[first] = n + calls
            m = counters.get(second, 0)
            counters[second] = m + calls
        return n, m


current_flow_run_context = FlowRunContext._var.get
"""``FlowRunContext.get()`` through the variable's own getter: every task call asks it,
and the classmethod cost a call more."""


class TaskRunInfo:
    """The facts of a task run the engine holds in memory (the API has the same fields).

    Attributes:
        id, name, task_key, dynamic_key, flow_run_id, run_count, tags, parameters.
    """

    __slots__ = (
        "dynamic_key",
        "flow_run_id",
        "id",
        "name",
        "parameters",
        "run_count",
        "tags",
        "task_key",
    )

    def __init__(
        self,
        id: UUID,
        name: str,
        task_key: str,
        dynamic_key: str,
        flow_run_id: UUID | None,
        tags: list[str],
        parameters: dict[str, Any],
    ) -> None:
        self.id = id
        self.name = name
        self.task_key = task_key
        self.dynamic_key = dynamic_key
        self.flow_run_id = flow_run_id
        self.tags = tags
        self.parameters = parameters
        self.run_count = 0

    def __repr__(self) -> str:
        return f"TaskRunInfo(id={self.id}, name={self.name!r}, run_count={self.run_count})"


class TaskRunContext(_Context["TaskRunContext"]):
    """The task run in progress.

    Attributes:
        task: the :class:`~podium.tasks.Task` being run.
        task_run: a :class:`TaskRunInfo` (``id``, ``name``, ``flow_run_id``, ``run_count``...).
        parameters: the arguments the function receives, futures resolved.
        flow_run_context: the enclosing flow run's context, ``None`` outside a flow.
        log_prints: whether ``print`` inside the run is captured as a log.
        result_store: where this task's result is written when persisted.
    """

    __slots__ = (
        "flow_run_context",
        "log_prints",
        "parameters",
        "result_store",
        "task",
        "task_run",
    )
    _var: ClassVar[ContextVar[TaskRunContext | None]] = ContextVar("podium_task_run", default=None)

    def __init__(
        self,
        task: Any,
        task_run: TaskRunInfo,
        parameters: dict[str, Any],
        flow_run_context: FlowRunContext | None,
        log_prints: bool,
        result_store: Any = None,
    ) -> None:
        self.task = task
        self.task_run = task_run
        self.parameters = parameters
        self.flow_run_context = flow_run_context
        self.log_prints = log_prints
        self.result_store = result_store


def get_run_context() -> TaskRunContext | FlowRunContext:
    """The innermost run context: the task run's inside a task, else the flow run's.

    Raises:
        MissingContextError: called outside a flow run and a task run.
    """
    task_ctx = TaskRunContext.get()
    if task_ctx is not None:
        return task_ctx
    flow_ctx = FlowRunContext.get()
    if flow_ctx is not None:
        return flow_ctx
    raise MissingContextError("No run context found: this must be called inside a flow or task.")


# --- tags ------------------------------------------------------------------------

_tags: ContextVar[frozenset[str]] = ContextVar("podium_tags", default=frozenset())

current_tags = _tags.get
"""The tags added by the enclosing ``with tags(...)`` blocks (``current_tags()``).

The variable's own getter: a function around it cost a call per task run."""


@contextmanager
def tags(*new_tags: str) -> Iterator[set[str]]:
    """Add tags to every flow run and task run created inside the block.

    Blocks nest: inner blocks add to the tags of the outer ones.

    Example:
        ``with tags("nightly", "etl"): my_flow()``

    Yields:
        The full set of tags in effect inside the block.
    """
    merged = _tags.get() | frozenset(new_tags)
    token = _tags.set(merged)
    try:
        yield set(merged)
    finally:
        _tags.reset(token)
