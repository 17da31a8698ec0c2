"""State constructors with Prefect 3's names: ``Completed()``, ``Failed()``, ``Late()``, ..."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from podium._ids import new_uuid
from podium.schemas._base import now_utc
from podium.schemas.states import StateDetails, StateType, constructed, details_of
from podium.states._state import State

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


_COMPLETED_FIELDS = frozenset({"id", "type", "name", "timestamp", "state_details"})


def completed_run(
    result: Any, *, timestamp: dt.datetime, task_run_id: UUID, flow_run_id: UUID | None
) -> State[Any]:
    """The Completed state of a task run that returned ``result`` (kept in memory).

    Equal to ``Completed(timestamp=..., state_details=...).attach_result(result)``
    but built without validating (every part is already valid): the engine makes
    one for every task run whose state is asked for (``.submit``, ``.map``), and
    validating it cost more than the rest of running a small task.
    """
    details = details_of(task_run_id=task_run_id, flow_run_id=flow_run_id)
    values = {
        "id": new_uuid(),
        "type": StateType.COMPLETED,
        "name": "Completed",
        "timestamp": timestamp,
        "message": None,
        "state_details": details,
        "data": None,
    }
    return constructed(State, values, _COMPLETED_FIELDS, {"_result": result})


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
