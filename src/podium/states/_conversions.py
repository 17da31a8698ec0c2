"""Turning what a run returned or raised into its final State."""

from __future__ import annotations

import datetime as dt
import logging
import sys
from types import GeneratorType
from typing import Any

from podium.exceptions import (
    SerializationError,
    TerminationSignal,
)
from podium.results import ResultStore, is_result_reference
from podium.schemas.states import State as StateSchema
from podium.states._constructors import Completed, Crashed, Failed
from podium.states._state import State, StateGroup, is_state, is_state_iterable

logger = logging.getLogger("podium.states")


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
