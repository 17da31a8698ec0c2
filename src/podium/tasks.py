"""Tasks: the ``@task`` decorator and the :class:`Task` object it makes.

A task is a function whose calls are tracked as task runs: called inside a flow (or on
its own) it runs at once and returns its result; ``submit`` runs it on the flow's task
runner and returns a :class:`~podium.futures.PodiumFuture`; ``map`` submits one run per
element of its iterable arguments. Options (retries, caching, timeouts, hooks, ...) are
set on the decorator or with :meth:`Task.with_options`.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import inspect
import sys
from collections.abc import Callable, Iterable, Sequence
from itertools import repeat
from typing import Any, Generic, ParamSpec, TypeVar, overload

from podium.annotations import NotSet, quote, unmapped
from podium.cache_policies import DEFAULT, INPUTS, NO_CACHE, TASK_SOURCE, CachePolicy
from podium.context import FlowRunContext, current_flow_run_context
from podium.engine._identity import mapped_call_identities, task_call_identity
from podium.engine._params import CallSignature
from podium.engine._records import policy_record
from podium.engine.task_engine import run_task_async, run_task_sync, task_policy
from podium.futures import PodiumFuture, PodiumFutureList

__all__ = ["Task", "exponential_backoff", "task", "task_input_hash"]

P = ParamSpec("P")
R = TypeVar("R")

_OPTIONS = (
    "name",
    "description",
    "tags",
    "version",
    "cache_policy",
    "cache_key_fn",
    "cache_expiration",
    "task_run_name",
    "retries",
    "retry_delay_seconds",
    "retry_jitter_factor",
    "persist_result",
    "result_storage",
    "result_serializer",
    "timeout_seconds",
    "log_prints",
    "refresh_cache",
    "on_completion",
    "on_failure",
    "on_running",
    "retry_condition_fn",
)


def exponential_backoff(backoff_factor: float) -> Callable[[int], list[float]]:
    """Retry delays that double each time: ``backoff_factor * 2**n`` for retry ``n``.

    Example:
        ``@task(retries=3, retry_delay_seconds=exponential_backoff(backoff_factor=10))``
        waits 10, 20 and 40 seconds.
    """

    def delays(retries: int) -> list[float]:
        return [backoff_factor * 2**n for n in range(retries)]

    return delays


def task_input_hash(context: Any, arguments: dict[str, Any]) -> str | None:
    """A ``cache_key_fn`` that keys on the task's source and its arguments."""
    return (INPUTS + TASK_SOURCE).compute_key(context, arguments, {})


class Task(Generic[P, R]):
    """A function whose calls are tracked as task runs. Made by :func:`task`.

    Attributes:
        fn: the undecorated function.
        name, description, version, tags, retries, timeout_seconds, ...: the options.
    """

    def __init__(
        self,
        fn: Callable[P, R],
        name: str | None = None,
        description: str | None = None,
        tags: Iterable[str] | None = None,
        version: str | None = None,
        cache_policy: CachePolicy | type[NotSet] | None = NotSet,
        cache_key_fn: Callable[[Any, dict[str, Any]], str | None] | None = None,
        cache_expiration: dt.timedelta | None = None,
        task_run_name: str | Callable[[], str] | None = None,
        retries: int | None = None,
        retry_delay_seconds: float
        | Sequence[float]
        | Callable[[int], Sequence[float]]
        | None = None,
        retry_jitter_factor: float | None = None,
        persist_result: bool | None = None,
        result_storage: Any = None,
        result_serializer: Any = None,
        timeout_seconds: float | None = None,
        log_prints: bool | None = None,
        refresh_cache: bool | None = None,
        on_completion: list[Callable[..., Any]] | None = None,
        on_failure: list[Callable[..., Any]] | None = None,
        on_running: list[Callable[..., Any]] | None = None,
        retry_condition_fn: Callable[..., bool] | None = None,
    ) -> None:
        self._is_classmethod = isinstance(fn, classmethod)
        if isinstance(fn, classmethod | staticmethod):
            fn = fn.__func__
        if not callable(fn):
            raise TypeError(f"@task needs a function, not {type(fn).__name__}")
        self.fn = fn
        self.isasync = inspect.iscoroutinefunction(fn)
        self.name: str = name or str(getattr(fn, "__name__", type(fn).__name__))
        self.description = description or inspect.getdoc(fn)
        self.tags = set(tags or ())
        self.version = version
        if retries is not None and retries < 0:
            raise ValueError("retries must be 0 or more")
        self.retries = retries or 0
        self.retry_delay_seconds = retry_delay_seconds
        if callable(retry_delay_seconds):
            self._retry_delays: Any = list(retry_delay_seconds(self.retries))
        elif isinstance(retry_delay_seconds, Sequence):
            self._retry_delays = list(retry_delay_seconds)
        else:
            self._retry_delays = retry_delay_seconds
        if retry_jitter_factor is not None and retry_jitter_factor < 0:
            raise ValueError("retry_jitter_factor must be 0 or more")
        self.retry_jitter_factor = retry_jitter_factor
        self.retry_condition_fn = retry_condition_fn
        self._explicit_cache = cache_key_fn is not None or (
            cache_policy is not NotSet and cache_policy is not None and cache_policy is not NO_CACHE
        )
        if cache_policy is NotSet:
            cache_policy = DEFAULT
        elif cache_policy is None:
            cache_policy = NO_CACHE
        self.cache_policy: CachePolicy = cache_policy  # type: ignore[assignment]
        self.cache_key_fn = cache_key_fn
        self.cache_expiration = cache_expiration
        self.refresh_cache = refresh_cache
        self.persist_result = persist_result
        self.result_storage = result_storage
        self.result_serializer = result_serializer
        self.task_run_name = task_run_name
        self.timeout_seconds = timeout_seconds
        self.log_prints = log_prints
        self.on_completion = list(on_completion or [])
        self.on_failure = list(on_failure or [])
        self.on_running = list(on_running or [])
        self.task_key = _task_key(fn)
        self._call = CallSignature(fn)
        self._policy_record = policy_record(
            task_policy(self.retries, self._retry_delays, retry_jitter_factor)
        )
        self._store_cache: tuple[str, Any] | None = None
        self.__self__: Any = None
        self.__doc__ = fn.__doc__
        self.__name__ = self.name
        self.__qualname__ = getattr(fn, "__qualname__", self.name)
        self.__module__ = getattr(fn, "__module__", __name__)
        self.__wrapped__ = fn

    def __repr__(self) -> str:
        return f"Task(name={self.name!r})"

    def __get__(self, instance: Any, owner: Any = None) -> Task[P, R]:
        target = owner if self._is_classmethod else instance
        if target is None:
            return self
        bound = copy.copy(self)
        bound.__self__ = target
        return bound

    def with_options(self, **options: Any) -> Task[P, R]:
        """A copy of this task with some options changed (same names as :func:`task`)."""
        unknown = set(options) - set(_OPTIONS)
        if unknown:
            raise TypeError(f"Unknown task option(s): {', '.join(sorted(unknown))}")
        current = {name: getattr(self, name) for name in _OPTIONS}
        current["retry_delay_seconds"] = self.retry_delay_seconds
        if not self._explicit_cache and current["cache_policy"] is DEFAULT:
            current["cache_policy"] = NotSet
        current.update(options)
        new = Task(self.fn, **current)
        new._is_classmethod = self._is_classmethod
        new.__self__ = self.__self__
        return new

    # --- calling ------------------------------------------------------------------

    def _bind(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        if self.__self__ is not None:
            args = (self.__self__, *args)
        return self._call.bind(args, kwargs)

    def __call__(
        self, *args: Any, return_state: bool = False, wait_for: Any = None, **kwargs: Any
    ) -> Any:
        """Run the task now and return its result (its final State with ``return_state``).

        For an async task this returns a coroutine to await.
        """
        if self.__self__ is None:
            parameters = self._call.bind(args, kwargs)  # ``_bind`` without its call
        else:
            parameters = self._bind(args, kwargs)
        flow_ctx = current_flow_run_context()
        dynamic_key, index = task_call_identity(self.task_key, flow_ctx, sys._getframe(1))
        runner = run_task_async if self.isasync else run_task_sync
        return runner(
            self,
            parameters,
            wait_for,
            "state" if return_state else "result",
            flow_ctx=flow_ctx,
            dynamic_key=dynamic_key,
            index=index,
        )

    def submit(self, *args: Any, wait_for: Any = None, **kwargs: Any) -> PodiumFuture[R]:
        """Run the task on the flow's task runner; returns a future at once.

        Futures among the arguments are waited for and passed as their results, and
        recorded as the run's upstream dependencies.

        Raises:
            RuntimeError: called outside a flow run.
        """
        kwargs.pop("return_state", None)
        flow_ctx = self._flow_context("submit")
        parameters = self._bind(args, kwargs)
        dynamic_key, index = task_call_identity(self.task_key, flow_ctx, sys._getframe(1))
        return flow_ctx.task_runner.submit(
            self, parameters, wait_for, flow_ctx=flow_ctx, dynamic_key=dynamic_key, index=index
        )

    def map(self, *args: Any, wait_for: Any = None, **kwargs: Any) -> PodiumFutureList[R]:
        """Submit one run per element of the iterable arguments.

        Every iterable argument must have the same length; wrap an iterable argument that
        each run should receive whole in ``unmapped(...)``. Returns a
        :class:`~podium.futures.PodiumFutureList` in input order.

        Raises:
            RuntimeError: called outside a flow run.
            ValueError: the iterable arguments have different lengths.
        """
        kwargs.pop("return_state", None)
        flow_ctx = self._flow_context("map")
        parameters = self._bind(args, kwargs)
        frame = sys._getframe(1)
        calls = _mapped_calls(self.name, parameters)
        identities = mapped_call_identities(self.task_key, flow_ctx, frame, len(calls))
        runs = flow_ctx.task_runner.submit_many(self, calls, wait_for, flow_ctx, identities)
        return PodiumFutureList(runs)

    def _flow_context(self, what: str) -> FlowRunContext:
        flow_ctx = FlowRunContext.get()
        if flow_ctx is None:
            raise RuntimeError(
                f"Task {self.name!r}: .{what}() needs a flow run to submit to. Call it inside "
                f"a @flow function, or call the task directly ({self.name}(...)) to run it now."
            )
        return flow_ctx


def _mapped_calls(name: str, parameters: dict[str, Any]) -> list[dict[str, Any]]:
    iterables: dict[str, list[Any]] = {}
    static: dict[str, Any] = {}
    for key, value in parameters.items():
        if isinstance(value, unmapped):
            static[key] = value.value
        elif isinstance(value, quote):
            static[key] = value
        elif isinstance(value, PodiumFuture) or isinstance(value, str | bytes | dict):
            static[key] = value
        elif isinstance(value, Iterable):
            iterables[key] = list(value)
        else:
            static[key] = value
    if not iterables:
        raise ValueError(
            f"Task {name!r}: .map() needs at least one iterable argument; got "
            f"{sorted(parameters)} with none iterable (wrap whole values in unmapped())."
        )
    lengths = {key: len(values) for key, values in iterables.items()}
    if len(set(lengths.values())) > 1:
        detail = ", ".join(f"{key}={n}" for key, n in lengths.items())
        raise ValueError(f"Task {name!r}: .map() got iterables of different lengths: {detail}")
    count = next(iter(lengths.values()))
    order = list(parameters)
    # One column per parameter, zipped into rows: a dict built in C per call, where a
    # comprehension per call looked each parameter up in two dicts.
    columns = [iterables[key] if key in iterables else repeat(static[key], count) for key in order]
    return [dict(zip(order, row, strict=True)) for row in zip(*columns, strict=True)]


def _task_key(fn: Any) -> str:
    qualname = getattr(fn, "__qualname__", repr(fn))
    module = getattr(fn, "__module__", "")
    digest = hashlib.sha256(f"{module}:{qualname}".encode()).hexdigest()[:8]
    return f"{qualname}-{digest}"


@overload
def task(__fn: Callable[P, R]) -> Task[P, R]: ...


@overload
def task(__fn: None = None, **options: Any) -> Callable[[Callable[P, R]], Task[P, R]]: ...


def task(__fn: Any = None, **options: Any) -> Any:
    """Make a function a task: ``@task`` or ``@task(name=..., retries=..., ...)``.

    Args:
        name: the task's name (default: the function's name).
        description: shown in the UI (default: the docstring).
        tags: tags for every run of the task.
        version: a version string recorded on each run.
        cache_policy: how the cache key is computed (``INPUTS``, ``TASK_SOURCE``,
            ``RUN_ID``, ``FLOW_PARAMETERS``, ``NO_CACHE``, ``DEFAULT`` or their sums).
            Setting one turns result persistence on.
        cache_key_fn: ``fn(context, parameters) -> str | None``, instead of a policy.
        cache_expiration: how long a cached result stays valid (a ``timedelta``).
        refresh_cache: always run and overwrite the cached result.
        task_run_name: a format string over the parameters, or a function returning one.
        retries: how many times to retry a failed run.
        retry_delay_seconds: seconds between retries: a number, a list (one per retry)
            or ``exponential_backoff(backoff_factor=...)``.
        retry_jitter_factor: randomise each delay by up to this fraction of it.
        retry_condition_fn: ``fn(task, task_run, state) -> bool``; retry only if true.
        persist_result: write results to storage (default: when a cache policy is set).
        result_storage: where: a path, an fsspec URL or a filesystem.
        result_serializer: ``"pickle"`` (default), ``"json"`` or a serializer.
        timeout_seconds: fail the run as TimedOut past this many seconds.
        log_prints: send ``print`` output to the run's logs.
        on_completion, on_failure, on_running: hooks ``fn(task, task_run, state)``.
    """
    if __fn is not None:
        return Task(__fn, **options)
    unknown = set(options) - set(_OPTIONS)
    if unknown:
        raise TypeError(f"Unknown task option(s): {', '.join(sorted(unknown))}")
    return lambda fn: Task(fn, **options)
