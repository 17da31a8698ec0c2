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

from podium.schemas.states import StateDetails, StateType
from podium.states._constructors import (
    AwaitingConcurrencySlot,
    AwaitingRetry,
    Cached,
    Cancelled,
    Cancelling,
    Completed,
    Crashed,
    Failed,
    Late,
    Paused,
    Pending,
    Retrying,
    Running,
    Scheduled,
    Suspended,
    TimedOut,
)
from podium.states._conversions import (
    exception_to_crashed_state,
    exception_to_failed_state,
    return_value_to_state,
)
from podium.states._state import (
    State,
    StateGroup,
    format_exception,
    get_state_exception,
    get_state_result,
    is_state,
    is_state_iterable,
    raise_state_exception,
    to_state_create,
)

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
