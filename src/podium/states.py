"""States as user code sees them: the ``State`` class, its constructors and helpers.

:class:`State` is the API contract's state (:class:`podium.schemas.states.State`) plus the
run's result:

* in memory, in the process that produced it (set from ``data=`` when that is a plain
  value, or by :meth:`State.attach_result`);
* persisted, as a result reference in ``data`` (see :mod:`podium.results`), readable
  from any process.

:meth:`State.result` returns the value, or raises the run's exception for Failed,
Crashed and Cancelled states. :meth:`State.to_state_create` sends the API only a result
reference or a small JSON value, never the in-memory object.

Constructors follow Prefect's names: ``Completed``, ``Failed``, ``Crashed``,
``Cancelled``, ``Cancelling``, ``Pending``, ``Running``, ``Scheduled``, ``Late``,
``AwaitingRetry``, ``AwaitingConcurrencySlot``, ``Retrying``, ``Paused``, ``Suspended``;
``Cached`` (Completed named "Cached") and ``TimedOut`` (Failed named "TimedOut") name the
states the engine enters on a cache hit and on a timeout.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
import time
import traceback
from collections import Counter
from collections.abc import Iterable
from types import GeneratorType, TracebackType
from typing import Any, Generic, Self, TypeGuard, TypeVar
from uuid import uuid4

import orjson
from pydantic import PrivateAttr

from podium.exceptions import (
    CancelledRun,
    CrashedRun,
    FailedRun,
    MissingResult,
    PausedRun,
    SerializationError,
    TerminationSignal,
    UnfinishedRun,
)
from podium.results import ResultStore, is_result_reference, load_result
from podium.schemas._base import now_utc
from podium.schemas.states import State as StateSchema
from podium.schemas.states import StateCreate, StateDetails, StateType

__all__ = [
    "AwaitingConcurrencySlot",
    "AwaitingRetry",
    "Cached",
    "Cancelled",
    "Cancelling",
    "Completed",
    "Crashed",
    "Failed",
    "Late",
    "Paused",
    "Pending",
    "Retrying",
    "Running",
    "Scheduled",
    "State",
    "StateDetails",
    "StateGroup",
    "StateType",
    "Suspended",
    "TimedOut",
    "exception_to_crashed_state",
    "exception_to_failed_state",
    "format_exception",
    "get_state_exception",
    "get_state_result",
    "is_state",
    "is_state_iterable",
    "raise_state_exception",
    "return_value_to_state",
    "to_state_create",
]

logger = logging.getLogger("podium.states")

R = TypeVar("R")


class _Unset:
    """Marks "no in-memory result" (``None`` is a valid result)."""

    def __repr__(self) -> str:
        return "<unset>"

    def __copy__(self) -> _Unset:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> _Unset:
        # pydantic copies private defaults; identity must survive that
        return self

    def __reduce__(self) -> str:
        # and pickling: unpickle to the module's single instance
        return "_UNSET"


_UNSET: Any = _Unset()

INLINE_DATA_LIMIT = 1024
"""Largest plain-JSON ``data`` (in encoded bytes) that is sent to the API inline."""

_LOAD_RETRY_DELAYS = (0.05, 0.25)  # storage may lag behind a write in another process


class State(StateSchema, Generic[R]):
    """A run's state, with its result (in memory and/or as a persisted reference)."""

    _result: Any = PrivateAttr(default=_UNSET)

    def model_post_init(self, context: Any, /) -> None:
        super().model_post_init(context)
        if self.data is not None and not is_result_reference(self.data):
            self._result = self.data

    def attach_result(self, value: Any) -> Self:
        """Keep ``value`` as this state's in-memory result; returns the state."""
        self._result = value
        return self

    def has_result_in_memory(self) -> bool:
        """Whether the result value is held in this process."""
        return self._result is not _UNSET

    def result(self, raise_on_failure: bool = True, retry_result_failure: bool = True) -> R:
        """Return the run's result.

        Args:
            raise_on_failure: for Failed, Crashed and Cancelled states, raise the run's
                exception; when ``False`` it is returned instead.
            retry_result_failure: retry reading a persisted result a few times before
                giving up (storage can lag behind a write made by another process).

        Raises:
            PausedRun: the run is paused.
            UnfinishedRun: the run is not in a final state.
            MissingResult: the result was not kept in memory nor persisted.
        """
        if self.is_paused():
            raise PausedRun("Run is paused, its result is not available.", state=self)
        if not self.is_final():
            raise UnfinishedRun(f"Run is in {self.type.value} state, its result is not available.")
        if _is_failure(self):
            if raise_on_failure:
                raise get_state_exception(self)
            value = _value_or_unset(self, retry_result_failure)
            return get_state_exception(self) if value is _UNSET else value  # type: ignore[return-value]
        if self.has_result_in_memory():
            return self._result
        if is_result_reference(self.data):
            self._result = _load_with_retries(self.data, retry_result_failure)
            return self._result
        if self.data is not None:  # a plain value assigned to ``data`` after creation
            return self.data
        raise MissingResult(
            "State data is missing. Typically, this occurs when result persistence is "
            "disabled and the state has been retrieved from the API."
        )

    def to_state_create(self) -> StateCreate:
        """The state as proposed to the API: ``data`` only if a reference or small JSON."""
        proposal = super().to_state_create()
        if not is_result_reference(self.data) and not _is_small_json(self.data):
            proposal.data = None
        return proposal

    def fresh_copy(self, **kwargs: Any) -> Self:
        """A copy with a new id and timestamp (``kwargs`` override fields)."""
        return self.model_copy(update={"id": uuid4(), "timestamp": now_utc(), **kwargs})

    def __repr__(self) -> str:
        result = repr(self._result) if self.has_result_in_memory() else repr(self.data)
        if len(result) > 80:
            result = result[:77] + "..."
        return f"{self.name}(message={self.message!r}, type={self.type.value}, result={result})"

    def __str__(self) -> str:
        return f"{self.name}({self.message!r})"


def _is_failure(state: StateSchema) -> bool:
    return state.is_failed() or state.is_crashed() or state.is_cancelled()


def _is_small_json(value: Any) -> bool:
    if value is None:
        return True
    try:
        encoded = orjson.dumps(value, option=orjson.OPT_STRICT_INTEGER)
    except TypeError:
        return False
    # orjson also encodes datetimes, UUIDs, dataclasses...: only JSON's own types count
    return len(encoded) <= INLINE_DATA_LIMIT and orjson.loads(encoded) == value


def _load_with_retries(reference: dict[str, Any], retry: bool) -> Any:
    delays = _LOAD_RETRY_DELAYS if retry else ()
    for delay in delays:
        try:
            return load_result(reference)
        except (MissingResult, OSError):
            time.sleep(delay)
    return load_result(reference)


def _value_or_unset(state: StateSchema, retry: bool) -> Any:
    """The state's result value, or ``_UNSET`` if it is neither in memory nor loadable."""
    if isinstance(state, State) and state.has_result_in_memory():
        return state._result
    if is_result_reference(state.data):
        try:
            return _load_with_retries(state.data, retry)
        except (MissingResult, SerializationError):
            return _UNSET
    return _UNSET if state.data is None else state.data


def get_state_result(
    state: State[R], raise_on_failure: bool = True, retry_result_failure: bool = True
) -> R:
    """Return a state's result; see :meth:`State.result`."""
    return state.result(raise_on_failure, retry_result_failure)


def get_state_exception(state: StateSchema) -> BaseException:
    """Return the exception a Failed, Crashed or Cancelled state carries.

    The exception is the state's in-memory one, else the one loaded from its persisted
    result, else a ``FailedRun``/``CrashedRun``/``CancelledRun`` whose message is the
    state's message. A string result becomes that wrapper's message; a state result (or
    a list of states) gives the exception of the first failed one.

    Raises:
        ValueError: the state is not Failed, Crashed or Cancelled.
        TypeError: the state's result cannot be turned into an exception.
    """
    if state.is_failed():
        wrapper: type[Exception] = FailedRun
        default = "Run failed."
    elif state.is_crashed():
        wrapper, default = CrashedRun, "Run crashed."
    elif state.is_cancelled():
        wrapper, default = CancelledRun, "Run cancelled."
    else:
        raise ValueError(f"Expected a failed, crashed or cancelled state, got {state!r}.")

    value = _value_or_unset(state, retry=False)
    if value is _UNSET or value is None:
        return wrapper(state.message or default)
    if isinstance(value, BaseException):
        return value
    if isinstance(value, str):
        return wrapper(value)
    if is_state(value):
        return get_state_exception(value)
    if is_state_iterable(value):
        for inner in value:
            if _is_failure(inner):
                return get_state_exception(inner)
        return wrapper(state.message or default)
    raise TypeError(
        f"Unexpected result for a {state.type.value} state: {value!r} "
        f"({type(value).__name__} cannot be resolved into an exception)"
    )


def raise_state_exception(state: StateSchema) -> None:
    """Raise the exception of a Failed, Crashed or Cancelled state; otherwise do nothing."""
    if _is_failure(state):
        raise get_state_exception(state)


def format_exception(exc: BaseException, tb: TracebackType | None = None) -> str:
    """The exception with its traceback, as Python would print it."""
    return "".join(traceback.format_exception(type(exc), exc, tb or exc.__traceback__))


def _persist(state: State[Any], value: Any, store: ResultStore, **write: Any) -> State[Any]:
    """Write ``value`` and point ``state.data`` at it; on failure keep it in memory only."""
    try:
        metadata = store.write(value, **write)
    except (SerializationError, OSError) as exc:
        logger.warning("The result could not be persisted (%s); it is kept in memory only.", exc)
        return state.attach_result(value)
    state.data = store.reference_for(metadata)
    return state.attach_result(value)


def exception_to_failed_state(
    exc: BaseException | None = None,
    result_store: ResultStore | None = None,
    write_result: bool = False,
    **kwargs: Any,
) -> State[BaseException]:
    """A Failed state carrying ``exc`` (by default, the exception being handled).

    Args:
        exc: the exception; ``None`` takes the one currently being handled.
        result_store: where to persist the exception when ``write_result`` is true.
        write_result: persist the exception so other processes can re-raise it.
        **kwargs: other state fields (``message`` defaults to ``"<Type>: <exc>"``).
    """
    if exc is None:
        exc = _current_exception()
    kwargs.setdefault("message", f"{type(exc).__name__}: {exc}")
    state: State[BaseException] = Failed(data=None, **kwargs)
    if result_store is not None and write_result:
        return _persist(state, exc, result_store)
    return state.attach_result(exc)


def exception_to_crashed_state(
    exc: BaseException, result_store: ResultStore | None = None
) -> State[BaseException]:
    """A Crashed state for an exception raised outside user code (or a signal)."""
    if isinstance(exc, KeyboardInterrupt | TerminationSignal):
        message = "Execution was aborted by an interrupt signal."
    elif isinstance(exc, SystemExit):
        message = "Execution was aborted by Python system exit call."
    else:
        message = (
            f"Execution was interrupted by an unexpected exception: {type(exc).__name__}: {exc}"
        )
    state: State[BaseException] = Crashed(message=message)
    if result_store is not None:
        return _persist(state, exc, result_store)
    return state.attach_result(exc)


def _current_exception() -> BaseException:
    exc = sys.exception()
    if exc is None:
        raise ValueError("No exception was given and none is being handled.")
    return exc


def return_value_to_state(
    retval: Any,
    result_store: ResultStore | None = None,
    key: str | None = None,
    expiration: dt.datetime | None = None,
    write_result: bool = False,
) -> State[Any]:
    """The state a run enters given what its function returned.

    * A state the user built (no run ids in its details) is used as given.
    * A state of another run, or a non-empty list/tuple/set of states, is aggregated:
      Completed if all completed, else Cancelled, Paused or Failed (in that order of
      precedence), with the states as the result.
    * Anything else gives Completed with the value as the result (a generator is first
      turned into a list, since it cannot be stored).

    With ``result_store`` and ``write_result``, the result is persisted under ``key``
    (a fresh key if ``None``) and ``data`` becomes its reference; a value that cannot be
    persisted is logged and kept in memory only.
    """
    write = {"key": key, "expiration": expiration}
    persist = result_store is not None and write_result

    if is_state(retval) and not (
        retval.state_details.flow_run_id or retval.state_details.task_run_id
    ):
        state = retval if isinstance(retval, State) else State.model_validate(retval.model_dump())
        if persist and not is_result_reference(state.data) and state.has_result_in_memory():
            assert result_store is not None
            return _persist(state, state._result, result_store, **write)
        return state

    if is_state(retval) or is_state_iterable(retval):
        states = StateGroup([retval] if isinstance(retval, StateSchema) else list(retval))
        new_type, message = states.aggregate()
        state = State(type=new_type, message=message).attach_result(retval)
    else:
        value = list(retval) if isinstance(retval, GeneratorType) else retval
        state = Completed().attach_result(value)
    if persist:
        assert result_store is not None
        return _persist(state, state._result, result_store, **write)
    return state


def is_state(obj: Any) -> TypeGuard[StateSchema]:
    """Whether ``obj`` is a state (this module's or the API schema's)."""
    return isinstance(obj, StateSchema)


def is_state_iterable(obj: Any) -> TypeGuard[Iterable[StateSchema]]:
    """Whether ``obj`` is a non-empty list, tuple or set made only of states."""
    return isinstance(obj, list | tuple | set) and bool(obj) and all(is_state(o) for o in obj)


def to_state_create(state: StateSchema) -> StateCreate:
    """The state as proposed to the API (see :meth:`State.to_state_create`)."""
    return state.to_state_create()


class StateGroup:
    """Counts over several states, used to aggregate them into one."""

    def __init__(self, states: Iterable[StateSchema]) -> None:
        self.states = list(states)
        self.type_counts: Counter[StateType] = Counter(s.type for s in self.states)
        self.total_count = len(self.states)
        self.cancelled_count = self.type_counts[StateType.CANCELLED]
        self.paused_count = self.type_counts[StateType.PAUSED]
        self.final_count = sum(1 for s in self.states if s.is_final())
        self.not_final_count = self.total_count - self.final_count

    @property
    def fail_count(self) -> int:
        """Failed plus Crashed states."""
        return self.type_counts[StateType.FAILED] + self.type_counts[StateType.CRASHED]

    def all_completed(self) -> bool:
        return self.type_counts[StateType.COMPLETED] == self.total_count

    def any_cancelled(self) -> bool:
        return self.cancelled_count > 0

    def any_failed(self) -> bool:
        return self.fail_count > 0

    def any_paused(self) -> bool:
        return self.paused_count > 0

    def all_final(self) -> bool:
        return self.final_count == self.total_count

    def counts_message(self) -> str:
        parts = [f"total={self.total_count}"]
        if self.not_final_count:
            parts.append(f"not_final={self.not_final_count}")
        parts += [f"{t.value!r}={n}" for t, n in self.type_counts.items() if n]
        return ", ".join(parts)

    def aggregate(self) -> tuple[StateType, str]:
        """The type and message of the state that stands for the whole group."""
        if self.all_completed():
            return StateType.COMPLETED, "All states completed."
        if self.any_cancelled():
            return (
                StateType.CANCELLED,
                f"{self.cancelled_count}/{self.total_count} states cancelled.",
            )
        if self.any_paused():
            return StateType.PAUSED, f"{self.paused_count}/{self.total_count} states paused."
        if self.any_failed():
            return StateType.FAILED, f"{self.fail_count}/{self.total_count} states failed."
        if not self.all_final():
            return (
                StateType.FAILED,
                f"{self.not_final_count}/{self.total_count} states are not final.",
            )
        return StateType.FAILED, "Given states: " + self.counts_message()

    def __repr__(self) -> str:
        return f"StateGroup<{self.counts_message()}>"


# --- constructors ------------------------------------------------------------
# Capitalised like classes, as in Prefect. Each takes ``cls`` first (the State class to
# build) and the state's fields as keywords, e.g. ``Completed(message="done", data=42)``.


def _details(kwargs: dict[str, Any]) -> StateDetails:
    given = kwargs.pop("state_details", None)
    if isinstance(given, StateDetails):
        return given.model_copy()
    return StateDetails.model_validate(given or {})


def Scheduled(
    cls: type[State[Any]] = State,
    scheduled_time: dt.datetime | None = None,
    **kwargs: Any,
) -> State[Any]:
    """A Scheduled state for ``scheduled_time`` (default: now)."""
    details = _details(kwargs)
    if scheduled_time is not None and details.scheduled_time is not None:
        raise ValueError("An extra scheduled_time was provided in state_details.")
    details.scheduled_time = scheduled_time or details.scheduled_time or now_utc()
    return cls(type=StateType.SCHEDULED, state_details=details, **kwargs)


def Completed(cls: type[State[Any]] = State, **kwargs: Any) -> State[Any]:
    """A Completed state; ``data=`` is its result."""
    return cls(type=StateType.COMPLETED, **kwargs)


def Running(cls: type[State[Any]] = State, **kwargs: Any) -> State[Any]:
    """A Running state."""
    return cls(type=StateType.RUNNING, **kwargs)


def Failed(cls: type[State[Any]] = State, **kwargs: Any) -> State[Any]:
    """A Failed state; ``data=`` may hold the exception."""
    return cls(type=StateType.FAILED, **kwargs)


def Crashed(cls: type[State[Any]] = State, **kwargs: Any) -> State[Any]:
    """A Crashed state (the run was interrupted by something outside its code)."""
    return cls(type=StateType.CRASHED, **kwargs)


def Cancelling(cls: type[State[Any]] = State, **kwargs: Any) -> State[Any]:
    """A Cancelling state (cancellation requested, not yet done)."""
    return cls(type=StateType.CANCELLING, **kwargs)


def Cancelled(cls: type[State[Any]] = State, **kwargs: Any) -> State[Any]:
    """A Cancelled state."""
    return cls(type=StateType.CANCELLED, **kwargs)


def Pending(cls: type[State[Any]] = State, **kwargs: Any) -> State[Any]:
    """A Pending state."""
    return cls(type=StateType.PENDING, **kwargs)


def Paused(
    cls: type[State[Any]] = State,
    timeout_seconds: int | None = None,
    pause_expiration_time: dt.datetime | None = None,
    reschedule: bool = False,
    pause_key: str | None = None,
    **kwargs: Any,
) -> State[Any]:
    """A Paused state, expiring after ``timeout_seconds`` or at ``pause_expiration_time``.

    Raises:
        ValueError: both ``timeout_seconds`` and ``pause_expiration_time`` are given, or
            ``state_details`` already holds a pause timeout.
    """
    details = _details(kwargs)
    if details.pause_timeout is not None:
        raise ValueError("An extra pause timeout was provided in state_details.")
    if timeout_seconds is not None and pause_expiration_time is not None:
        raise ValueError("Cannot supply both a pause_expiration_time and timeout_seconds.")
    if pause_expiration_time is not None:
        details.pause_timeout = pause_expiration_time
    elif timeout_seconds is not None:
        details.pause_timeout = now_utc() + dt.timedelta(seconds=timeout_seconds)
    details.pause_reschedule = reschedule
    details.pause_key = pause_key
    return cls(type=StateType.PAUSED, state_details=details, **kwargs)


def Suspended(
    cls: type[State[Any]] = State,
    timeout_seconds: int | None = None,
    pause_expiration_time: dt.datetime | None = None,
    pause_key: str | None = None,
    **kwargs: Any,
) -> State[Any]:
    """A Paused state named "Suspended": the run exits and is rescheduled on resume."""
    kwargs.setdefault("name", "Suspended")
    return Paused(
        cls=cls,
        timeout_seconds=timeout_seconds,
        pause_expiration_time=pause_expiration_time,
        reschedule=True,
        pause_key=pause_key,
        **kwargs,
    )


def AwaitingRetry(
    cls: type[State[Any]] = State, scheduled_time: dt.datetime | None = None, **kwargs: Any
) -> State[Any]:
    """A Scheduled state named "AwaitingRetry": the run will retry at ``scheduled_time``."""
    kwargs.setdefault("name", "AwaitingRetry")
    return Scheduled(cls=cls, scheduled_time=scheduled_time, **kwargs)


def AwaitingConcurrencySlot(
    cls: type[State[Any]] = State, scheduled_time: dt.datetime | None = None, **kwargs: Any
) -> State[Any]:
    """A Scheduled state named "AwaitingConcurrencySlot": waiting for a concurrency slot."""
    kwargs.setdefault("name", "AwaitingConcurrencySlot")
    return Scheduled(cls=cls, scheduled_time=scheduled_time, **kwargs)


def Late(
    cls: type[State[Any]] = State, scheduled_time: dt.datetime | None = None, **kwargs: Any
) -> State[Any]:
    """A Scheduled state named "Late": its scheduled time has passed without a start."""
    kwargs.setdefault("name", "Late")
    return Scheduled(cls=cls, scheduled_time=scheduled_time, **kwargs)


def Retrying(cls: type[State[Any]] = State, **kwargs: Any) -> State[Any]:
    """A Running state named "Retrying"."""
    kwargs.setdefault("name", "Retrying")
    return cls(type=StateType.RUNNING, **kwargs)


def Cached(
    cls: type[State[Any]] = State,
    cache_key: str | None = None,
    cache_expiration: dt.datetime | None = None,
    **kwargs: Any,
) -> State[Any]:
    """A Completed state named "Cached": the result came from an earlier run's cache."""
    details = _details(kwargs)
    details.cache_key = cache_key or details.cache_key
    details.cache_expiration = cache_expiration or details.cache_expiration
    kwargs.setdefault("name", "Cached")
    return cls(type=StateType.COMPLETED, state_details=details, **kwargs)


def TimedOut(cls: type[State[Any]] = State, **kwargs: Any) -> State[Any]:
    """A Failed state named "TimedOut": the run exceeded its timeout."""
    kwargs.setdefault("name", "TimedOut")
    return cls(type=StateType.FAILED, **kwargs)
