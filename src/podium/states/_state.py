"""The user-facing State, its result, and conversions from values and exceptions."""

from __future__ import annotations

import logging
import time
import traceback
from collections import Counter
from collections.abc import Iterable
from types import TracebackType
from typing import Any, Generic, Self, TypeGuard, TypeVar

import orjson
from pydantic import PrivateAttr

from podium._ids import new_uuid
from podium.exceptions import (
    CancelledRun,
    CrashedRun,
    FailedRun,
    MissingResult,
    PausedRun,
    SerializationError,
    UnfinishedRun,
)
from podium.results import is_result_reference, load_result
from podium.schemas._base import now_utc
from podium.schemas.states import State as StateSchema
from podium.schemas.states import StateCreate, StateType

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


def _unset() -> Any:
    # A factory, not a default: pydantic deep-copies a private default for every state.
    return _UNSET


INLINE_DATA_LIMIT = 1024
"""Largest plain-JSON ``data`` (in encoded bytes) that is sent to the API inline."""

_LOAD_RETRY_DELAYS = (0.05, 0.25)  # storage may lag behind a write in another process


class State(StateSchema, Generic[R]):
    """A run's state, with its result (in memory and/or as a persisted reference)."""

    _result: Any = PrivateAttr(default_factory=_unset)

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
        return self._in_memory() is not _UNSET

    def _in_memory(self) -> Any:
        """The in-memory result, or ``_UNSET``.

        Read from pydantic's private storage directly: the attribute goes through
        ``BaseModel.__getattr__``, which a flow collecting thousands of results pays
        for on every one.
        """
        private = self.__pydantic_private__
        return _UNSET if private is None else private.get("_result", _UNSET)

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
        if self.type is StateType.COMPLETED:
            value = self._in_memory()
            if value is not _UNSET:
                return value
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
        return self.model_copy(update={"id": new_uuid(), "timestamp": now_utc(), **kwargs})

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
