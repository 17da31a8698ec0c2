"""States built on the server's hot path are the models validation would give."""

from __future__ import annotations

import copy
import datetime as dt
import uuid

import pytest

from podium.schemas.actions import TaskRunBatchState
from podium.schemas.states import (
    State,
    StateCreate,
    StateDetails,
    StateType,
    details_of,
    details_with,
    state_from_create,
)

NOW = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "proposal",
    [
        StateCreate(type=StateType.RUNNING),
        StateCreate(type=StateType.COMPLETED, name="Cached", message="hit", data={"k": 1}),
        StateCreate(
            type=StateType.SCHEDULED,
            timestamp=NOW - dt.timedelta(hours=1),
            state_details=StateDetails(scheduled_time=NOW, cache_key="abc"),
        ),
    ],
)
def test_a_state_from_a_proposal_is_the_validated_state(proposal: StateCreate) -> None:
    built = state_from_create(proposal, NOW)

    validated = State.model_validate(built.model_dump())
    assert built == validated
    assert built.model_dump_json() == validated.model_dump_json()
    assert built.model_fields_set == set(State.model_fields)
    assert built.name == (proposal.name or validated.name)
    assert built.timestamp == (proposal.timestamp or NOW)
    # Copies and updates behave as on any model.
    assert copy.deepcopy(built) == built
    assert built.model_copy(update={"message": "m"}).message == "m"
    assert built.__pydantic_private__ == validated.__pydantic_private__


def test_details_with_one_field_replaced_equals_a_model_copy() -> None:
    details = StateDetails(cache_key="abc")
    run_id = uuid.uuid4()

    replaced = details_with(details, "flow_run_id", run_id)

    assert replaced == details.model_copy(update={"flow_run_id": run_id})
    assert replaced.model_fields_set == details.model_fields_set | {"flow_run_id"}
    assert details.flow_run_id is None  # the original is left as it was
    assert replaced.model_dump(exclude_defaults=True) == {"cache_key": "abc", "flow_run_id": run_id}


def test_details_of_given_fields_equal_validated_details() -> None:
    run_id, flow_run_id = uuid.uuid4(), uuid.uuid4()

    built = details_of(task_run_id=run_id, flow_run_id=flow_run_id)

    validated = StateDetails(task_run_id=run_id, flow_run_id=flow_run_id)
    assert built == validated
    assert built.model_fields_set == validated.model_fields_set
    assert built.model_dump_json() == validated.model_dump_json()
    assert StateDetails().task_run_id is None  # the shared defaults are left as they were


def test_a_batch_state_without_details_gives_the_state_decide_gives() -> None:
    run_id = uuid.uuid4()
    proposal = TaskRunBatchState(type=StateType.COMPLETED, message="done", data=[1])

    built = state_from_create(proposal, NOW, details_of(task_run_id=run_id))

    expected = State(
        id=built.id,
        type=StateType.COMPLETED,
        timestamp=NOW,
        message="done",
        data=[1],
        state_details=StateDetails(task_run_id=run_id),
    )
    assert built == expected
    assert built.model_dump_json() == expected.model_dump_json()
