"""Flows: the ``@flow`` decorator and the :class:`Flow` object it makes.

Calling a flow creates a flow run through the API and runs the function in it; called
inside another flow it is a subflow, a child run linked to its parent. Options are set
on the decorator or with :meth:`Flow.with_options`.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, TypeVar, overload

from podium.engine._params import CallSignature
from podium.engine.flow_engine import run_flow_async, run_flow_sync
from podium.task_runners import TaskRunner, ThreadPoolTaskRunner

if TYPE_CHECKING:
    from podium.deployments import RunnerDeployment

__all__ = ["Flow", "flow"]

P = ParamSpec("P")
R = TypeVar("R")

_OPTIONS = (
    "name",
    "version",
    "flow_run_name",
    "retries",
    "retry_delay_seconds",
    "task_runner",
    "description",
    "timeout_seconds",
    "validate_parameters",
    "persist_result",
    "result_storage",
    "result_serializer",
    "log_prints",
    "tags",
    "on_completion",
    "on_failure",
    "on_cancellation",
    "on_crashed",
    "on_running",
)


class Flow(Generic[P, R]):
    """A function whose calls are tracked as flow runs. Made by :func:`flow`.

    Attributes:
        fn: the undecorated function.
        name, version, retries, timeout_seconds, task_runner, ...: the options.
    """

    def __init__(
        self,
        fn: Callable[P, R],
        name: str | None = None,
        version: str | None = None,
        flow_run_name: str | Callable[[], str] | None = None,
        retries: int | None = None,
        retry_delay_seconds: float | None = None,
        task_runner: TaskRunner | type[TaskRunner] | None = None,
        description: str | None = None,
        timeout_seconds: float | None = None,
        validate_parameters: bool = True,
        persist_result: bool | None = None,
        result_storage: Any = None,
        result_serializer: Any = None,
        log_prints: bool | None = None,
        tags: Iterable[str] | None = None,
        on_completion: list[Callable[..., Any]] | None = None,
        on_failure: list[Callable[..., Any]] | None = None,
        on_cancellation: list[Callable[..., Any]] | None = None,
        on_crashed: list[Callable[..., Any]] | None = None,
        on_running: list[Callable[..., Any]] | None = None,
    ) -> None:
        self._is_classmethod = isinstance(fn, classmethod)
        if isinstance(fn, classmethod | staticmethod):
            fn = fn.__func__
        if not callable(fn):
            raise TypeError(f"@flow needs a function, not {type(fn).__name__}")
        self.fn = fn
        self.isasync = inspect.iscoroutinefunction(fn)
        self.name = name or getattr(fn, "__name__", type(fn).__name__).replace("_", "-")
        self.version = version
        self.flow_run_name = flow_run_name
        if retries is not None and retries < 0:
            raise ValueError("retries must be 0 or more")
        self.retries = retries or 0
        self.retry_delay_seconds = float(retry_delay_seconds or 0)
        if isinstance(task_runner, type):
            task_runner = task_runner()
        self.task_runner: TaskRunner = task_runner or ThreadPoolTaskRunner()
        self.description = description or inspect.getdoc(fn)
        if timeout_seconds is not None and timeout_seconds <= 0:
            raise ValueError("timeout_seconds must be positive")
        self.timeout_seconds = timeout_seconds
        self.should_validate_parameters = validate_parameters
        self.persist_result = persist_result
        self.result_storage = result_storage
        self.result_serializer = result_serializer
        self.log_prints = log_prints
        self.tags = set(tags or ())
        self.on_completion = list(on_completion or [])
        self.on_failure = list(on_failure or [])
        self.on_cancellation = list(on_cancellation or [])
        self.on_crashed = list(on_crashed or [])
        self.on_running = list(on_running or [])
        self._call = CallSignature(fn)
        self._store_cache: tuple[str, Any] | None = None
        self.__self__: Any = None
        self.__doc__ = fn.__doc__
        self.__name__ = getattr(fn, "__name__", self.name)
        self.__qualname__ = getattr(fn, "__qualname__", self.name)
        self.__module__ = getattr(fn, "__module__", __name__)
        self.__wrapped__ = fn

    def __repr__(self) -> str:
        return f"Flow(name={self.name!r})"

    @property
    def parameters(self) -> inspect.Signature:
        """The function's signature."""
        return self._call.signature

    @property
    def _self_name(self) -> str | None:
        if self.__self__ is None or not self._call.kinds:
            return None
        return self._call.kinds[0][0]

    def __get__(self, instance: Any, owner: Any = None) -> Flow[P, R]:
        target = owner if self._is_classmethod else instance
        if target is None:
            return self
        bound = object.__new__(type(self))
        bound.__dict__.update(self.__dict__)
        bound.__self__ = target
        return bound

    def with_options(self, **options: Any) -> Flow[P, R]:
        """A copy of this flow with some options changed (same names as :func:`flow`)."""
        unknown = set(options) - set(_OPTIONS)
        if unknown:
            raise TypeError(f"Unknown flow option(s): {', '.join(sorted(unknown))}")
        current: dict[str, Any] = {name: getattr(self, name, None) for name in _OPTIONS}
        current["validate_parameters"] = self.should_validate_parameters
        current.update(options)
        new = Flow(self.fn, **current)
        new._is_classmethod = self._is_classmethod
        new.__self__ = self.__self__
        return new

    def validate_parameters(self, parameters: dict[str, Any]) -> dict[str, Any]:
        """Validate and coerce ``parameters`` against the function's type hints.

        Raises:
            ParameterTypeError: some parameters are invalid; the message names each.
        """
        return self._call.validate(parameters, skip=self._self_name)

    def _bind(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        if self.__self__ is not None:
            args = (self.__self__, *args)
        return self._call.bind(args, kwargs)

    def _stored_parameters(self, parameters: dict[str, Any]) -> dict[str, Any]:
        skip = self._self_name
        return {k: v for k, v in parameters.items() if k != skip} if skip else parameters

    def __call__(self, *args: Any, return_state: bool = False, **kwargs: Any) -> Any:
        """Run the flow and return its result (its final State with ``return_state``).

        For an async flow this returns a coroutine to await.
        """
        parameters = self._bind(args, kwargs)
        runner = run_flow_async if self.isasync else run_flow_sync
        return runner(
            self,
            parameters,
            "state" if return_state else "result",
            frame=sys._getframe(1),
        )

    # --- deployments (see podium.deployments) -------------------------------------

    def to_deployment(self, name: str | None = None, **options: Any) -> RunnerDeployment:
        """Describe a deployment of this flow, for :func:`~podium.deployments.serve` or
        :func:`~podium.deployments.deploy`.

        Options: ``interval``, ``cron``, ``rrule``, ``schedule``, ``schedules``,
        ``paused``, ``parameters``, ``description``, ``tags``, ``version``,
        ``enforce_parameter_schema``, ``concurrency_limit`` (an int or a
        ``ConcurrencyLimitConfig``), ``work_pool_name``, ``work_queue_name``,
        ``job_variables``, ``entrypoint``. The parameter schema comes from the signature.
        """
        # Deferred (start-up time): a script that only runs flows never loads the
        # deployments machinery (runner, schema building, rich).
        from podium.deployments import RunnerDeployment

        return RunnerDeployment.from_flow(self, name, **options)

    def serve(
        self,
        name: str | None = None,
        *,
        pause_on_shutdown: bool = True,
        print_starting_message: bool = True,
        limit: int | None = None,
        **options: Any,
    ) -> None:
        """Create a deployment of this flow and run its runs from this process until
        SIGINT or SIGTERM (options as :meth:`to_deployment`)."""
        from podium.deployments import serve  # deferred: see to_deployment

        serve(
            self.to_deployment(name, **options),
            pause_on_shutdown=pause_on_shutdown,
            print_starting_message=print_starting_message,
            limit=limit,
        )

    def deploy(
        self,
        name: str,
        work_pool_name: str | None = None,
        *,
        print_next_steps: bool = True,
        image: Any = None,
        build: bool = True,
        push: bool = True,
        **options: Any,
    ) -> Any:
        """Register a deployment of this flow for a work pool's workers; its id.

        Workers load the flow from its entrypoint (no image is built; ``image``,
        ``build`` and ``push`` are ignored). Options as :meth:`to_deployment`.
        """
        from podium.deployments import deploy  # deferred: see to_deployment

        deployment = self.to_deployment(name, work_pool_name=work_pool_name, **options)
        return deploy(deployment, print_next_steps_message=print_next_steps)[0]


@overload
def flow(__fn: Callable[P, R]) -> Flow[P, R]: ...


@overload
def flow(__fn: None = None, **options: Any) -> Callable[[Callable[P, R]], Flow[P, R]]: ...


def flow(__fn: Any = None, **options: Any) -> Any:
    """Make a function a flow: ``@flow`` or ``@flow(name=..., retries=..., ...)``.

    Args:
        name: the flow's name (default: the function's name, ``_`` made ``-``).
        version: a version string recorded on each run.
        flow_run_name: a format string over the parameters, or a function returning one.
        retries: how many times the server may send a failed run back to run again.
        retry_delay_seconds: seconds between those retries.
        task_runner: runs ``submit``/``map`` calls (default ``ThreadPoolTaskRunner()``).
        description: shown in the UI (default: the docstring).
        timeout_seconds: fail the run as TimedOut past this many seconds.
        validate_parameters: validate and coerce parameters from the type hints (default).
        persist_result: write the result to storage (so a retried parent can reuse it).
        result_storage: where: a path, an fsspec URL or a filesystem.
        result_serializer: ``"pickle"`` (default), ``"json"`` or a serializer.
        log_prints: send ``print`` output to the run's logs (tasks inherit it).
        tags: tags for every run of the flow.
        on_completion, on_failure, on_cancellation, on_crashed, on_running: hooks
            ``fn(flow, flow_run, state)``.
    """
    if __fn is not None:
        return Flow(__fn, **options)
    unknown = set(options) - set(_OPTIONS)
    if unknown:
        raise TypeError(f"Unknown flow option(s): {', '.join(sorted(unknown))}")
    return lambda fn: Flow(fn, **options)
