"""States: the type and name a run is in, with the details that travel with it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Set as AbstractSet
from enum import StrEnum
from typing import Any, TypeVar
from uuid import UUID

from pydantic import Field

from podium._ids import new_uuid
from podium.schemas._base import ActionModel, PodiumModel, UtcDateTime, in_utc, now_utc


class StateType(StrEnum):
    SCHEDULED = "SCHEDULED"
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    CRASHED = "CRASHED"
    PAUSED = "PAUSED"
    CANCELLING = "CANCELLING"

    # Enum hashes a member by its name in Python code; every name here is its
    # value, so the string's own hash gives the same number, computed in C.
    # Sets and dicts of state types sit on the path of every transition.
    __hash__ = str.__hash__


TERMINAL_STATES = frozenset(
    {StateType.COMPLETED, StateType.FAILED, StateType.CANCELLED, StateType.CRASHED}
)

DEFAULT_STATE_NAMES: dict[StateType, str] = {
    StateType.SCHEDULED: "Scheduled",
    StateType.PENDING: "Pending",
    StateType.RUNNING: "Running",
    StateType.COMPLETED: "Completed",
    StateType.FAILED: "Failed",
    StateType.CANCELLED: "Cancelled",
    StateType.CRASHED: "Crashed",
    StateType.PAUSED: "Paused",
    StateType.CANCELLING: "Cancelling",
}


class StateDetails(PodiumModel):
    flow_run_id: UUID | None = None
    task_run_id: UUID | None = None
    child_flow_run_id: UUID | None = None
    scheduled_time: UtcDateTime | None = None
    cache_key: str | None = None
    cache_expiration: UtcDateTime | None = None
    untrackable_result: bool = False
    pause_timeout: UtcDateTime | None = None
    pause_reschedule: bool = False
    pause_key: str | None = None
    refresh_cache: bool | None = None
    retriable: bool | None = None
    transition_id: UUID | None = None


class StateCreate(ActionModel):
    """A state proposed for a run."""

    type: StateType
    name: str | None = None
    message: str | None = None
    timestamp: UtcDateTime | None = None
    state_details: StateDetails = Field(default_factory=StateDetails)
    data: Any = None

    def resolved_name(self) -> str:
        return self.name or DEFAULT_STATE_NAMES[self.type]


class State(PodiumModel):
    """A state as the server records it.

    ``data`` holds a result reference (a JSON object describing where a
    persisted result lives) or a small JSON value; never a pickled payload.
    """

    id: UUID = Field(default_factory=new_uuid)
    type: StateType
    name: str | None = None
    timestamp: UtcDateTime = Field(default_factory=now_utc)
    message: str | None = None
    state_details: StateDetails = Field(default_factory=StateDetails)
    data: Any = None

    def model_post_init(self, context: Any, /) -> None:
        if self.name is None:
            self.name = DEFAULT_STATE_NAMES[self.type]

    def is_terminal(self) -> bool:
        return self.type in TERMINAL_STATES

    def is_scheduled(self) -> bool:
        return self.type == StateType.SCHEDULED

    def is_pending(self) -> bool:
        return self.type == StateType.PENDING

    def is_running(self) -> bool:
        return self.type == StateType.RUNNING

    def is_completed(self) -> bool:
        return self.type == StateType.COMPLETED

    def is_failed(self) -> bool:
        return self.type == StateType.FAILED

    def is_crashed(self) -> bool:
        return self.type == StateType.CRASHED

    def is_cancelled(self) -> bool:
        return self.type == StateType.CANCELLED

    def is_cancelling(self) -> bool:
        return self.type == StateType.CANCELLING

    def is_paused(self) -> bool:
        return self.type == StateType.PAUSED

    def is_final(self) -> bool:
        return self.is_terminal()

    def to_state_create(self) -> StateCreate:
        return StateCreate(
            type=self.type,
            name=self.name,
            message=self.message,
            timestamp=self.timestamp,
            state_details=self.state_details,
            data=self.data,
        )


def state_from_create(
    proposal: StateCreate | Any,
    now: dt.datetime | None = None,
    details: StateDetails | None = None,
    *,
    state_id: UUID | None = None,
) -> State:
    """The state a validated proposal describes (no second validation: it is on a hot path).

    ``proposal`` is a :class:`StateCreate` or anything validated with its fields (a
    batch's states). ``details`` replaces the proposal's state details when given; a
    proposal without details gets the default ones. The state gets a new id unless
    ``state_id`` is given.
    """
    return constructed(
        State,
        {
            "id": state_id or new_uuid(),
            "type": proposal.type,
            "name": proposal.name or DEFAULT_STATE_NAMES[proposal.type],
            "timestamp": in_utc(proposal.timestamp) or now or now_utc(),
            "message": proposal.message,
            "state_details": details or proposal.state_details or StateDetails(),
            "data": proposal.data,
        },
        _STATE_FIELDS,
    )


def details_of(**given: Any) -> StateDetails:
    """Default details but for the fields given (no validation: the values must be valid)."""
    return constructed(StateDetails, {**_DEFAULT_DETAILS, **given}, given.keys())


def details_with(details: StateDetails, field: str, value: Any) -> StateDetails:
    """A copy of validated ``details`` with one field replaced (no second validation)."""
    values = details.__dict__.copy()
    values[field] = value
    return constructed(StateDetails, values, details.__pydantic_fields_set__ | {field})


_STATE_FIELDS = frozenset(State.model_fields)
_DEFAULT_DETAILS = StateDetails().__dict__

_M = TypeVar("_M", bound=PodiumModel)


def constructed(
    model: type[_M],
    values: dict[str, Any],
    fields_set: AbstractSet[str],
    private: dict[str, Any] | None = None,
) -> _M:
    """A model instance from values known to be valid, without validating them.

    What ``model_construct`` does once it has every value, without its per-field
    loop over defaults (slower than validating, for a state): a batch makes
    thousands of states and the engine one per task run. ``values`` must hold
    every field of ``model``, already valid; ``private`` its private attributes.
    """
    instance = model.__new__(model)
    setattr_ = object.__setattr__
    setattr_(instance, "__dict__", values)
    setattr_(instance, "__pydantic_fields_set__", set(fields_set))
    setattr_(instance, "__pydantic_extra__", None)
    setattr_(instance, "__pydantic_private__", private)
    return instance
