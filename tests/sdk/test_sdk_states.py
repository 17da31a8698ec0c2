"""States: constructors, results in memory and persisted, exceptions, aggregation."""

from __future__ import annotations

import datetime as dt
import pickle
import uuid

import pytest

from podium.exceptions import (
    CancelledRun,
    CrashedRun,
    FailedRun,
    MissingResult,
    PausedRun,
    TerminationSignal,
    UnfinishedRun,
)
from podium.results import ResultStore, is_result_reference
from podium.schemas.states import State as StateSchema
from podium.schemas.states import StateDetails, StateType
from podium.states import (
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
    State,
    StateGroup,
    Suspended,
    TimedOut,
    exception_to_crashed_state,
    exception_to_failed_state,
    get_state_exception,
    is_state,
    is_state_iterable,
    raise_state_exception,
    return_value_to_state,
)
from podium.states._constructors import completed_run


@pytest.fixture(autouse=True)
def _home(tmp_path, monkeypatch):
    monkeypatch.setenv("PODIUM_HOME", str(tmp_path / "home"))


@pytest.mark.parametrize(
    ("factory", "state_type", "name"),
    [
        (Completed, StateType.COMPLETED, "Completed"),
        (Failed, StateType.FAILED, "Failed"),
        (Crashed, StateType.CRASHED, "Crashed"),
        (Cancelled, StateType.CANCELLED, "Cancelled"),
        (Cancelling, StateType.CANCELLING, "Cancelling"),
        (Pending, StateType.PENDING, "Pending"),
        (Running, StateType.RUNNING, "Running"),
        (Scheduled, StateType.SCHEDULED, "Scheduled"),
        (Late, StateType.SCHEDULED, "Late"),
        (AwaitingRetry, StateType.SCHEDULED, "AwaitingRetry"),
        (AwaitingConcurrencySlot, StateType.SCHEDULED, "AwaitingConcurrencySlot"),
        (Retrying, StateType.RUNNING, "Retrying"),
        (Paused, StateType.PAUSED, "Paused"),
        (Suspended, StateType.PAUSED, "Suspended"),
        (Cached, StateType.COMPLETED, "Cached"),
        (TimedOut, StateType.FAILED, "TimedOut"),
    ],
)
def test_constructors_give_type_and_name(factory, state_type, name):
    state = factory()
    assert isinstance(state, State)
    assert (state.type, state.name) == (state_type, name)


def test_scheduled_states_get_a_time():
    when = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    assert AwaitingRetry(scheduled_time=when).state_details.scheduled_time == when
    assert Late().state_details.scheduled_time is not None
    with pytest.raises(ValueError, match="scheduled_time"):
        Scheduled(scheduled_time=when, state_details={"scheduled_time": when})


def test_paused_and_suspended_details():
    paused = Paused(timeout_seconds=60, pause_key="k")
    assert paused.state_details.pause_timeout is not None
    assert paused.state_details.pause_key == "k"
    assert not paused.state_details.pause_reschedule
    assert Suspended().state_details.pause_reschedule
    with pytest.raises(ValueError, match="both"):
        Paused(timeout_seconds=1, pause_expiration_time=dt.datetime.now(dt.UTC))


def test_constructor_does_not_mutate_given_details():
    details = StateDetails()
    Cached(cache_key="abc", state_details=details)
    assert details.cache_key is None
    assert Cached(cache_key="abc").state_details.cache_key == "abc"


def test_in_memory_result_including_none():
    assert Completed(data={"a": 1}).result() == {"a": 1}
    assert return_value_to_state(None).result() is None


def test_completed_without_data_is_missing():
    with pytest.raises(MissingResult, match="persistence is disabled"):
        Completed().result()


def test_unfinished_and_paused_states_have_no_result():
    with pytest.raises(UnfinishedRun, match="RUNNING"):
        Running().result()
    with pytest.raises(PausedRun):
        Paused().result()


def test_failed_state_raises_its_exception():
    state = exception_to_failed_state(KeyError("k"))
    assert state.is_failed() and state.message == "KeyError: 'k'"
    with pytest.raises(KeyError):
        state.result()
    assert isinstance(state.result(raise_on_failure=False), KeyError)


@pytest.mark.parametrize(
    ("factory", "wrapper"),
    [(Failed, FailedRun), (Crashed, CrashedRun), (Cancelled, CancelledRun)],
)
def test_failure_without_exception_raises_wrapper_with_message(factory, wrapper):
    with pytest.raises(wrapper, match="went wrong"):
        factory(message="went wrong").result()
    assert isinstance(get_state_exception(factory()), wrapper)


def test_string_result_becomes_wrapper_message():
    assert str(get_state_exception(Failed(data="bad input"))) == "bad input"


def test_get_state_exception_rejects_non_failures():
    with pytest.raises(ValueError, match="failed"):
        get_state_exception(Completed())
    assert raise_state_exception(Completed()) is None


def test_crashed_state_messages():
    assert "interrupt" in exception_to_crashed_state(KeyboardInterrupt()).message
    assert "interrupt" in exception_to_crashed_state(TerminationSignal(15)).message
    assert "system exit" in exception_to_crashed_state(SystemExit()).message
    crashed = exception_to_crashed_state(RuntimeError("oops"))
    assert "RuntimeError: oops" in crashed.message
    with pytest.raises(RuntimeError, match="oops"):
        crashed.result()


def test_persisted_result_is_readable_from_a_plain_api_state(tmp_path):
    store = ResultStore(tmp_path / "results")
    state = return_value_to_state([1, 2, 3], store, key="my-key", write_result=True)
    assert is_result_reference(state.data)
    # what the API stores and returns: JSON only
    proposal = state.to_state_create()
    assert proposal.data == state.data
    wire = StateSchema(type=proposal.type, data=proposal.data).model_dump(mode="json")
    assert State.model_validate(wire).result() == [1, 2, 3]


def test_persisted_exception_is_reraised_elsewhere(tmp_path):
    store = ResultStore(tmp_path / "results")
    state = exception_to_failed_state(ValueError("stored"), store, write_result=True)
    fresh = State.model_validate(state.model_dump(mode="json"))
    with pytest.raises(ValueError, match="stored"):
        fresh.result()


def test_lost_persisted_exception_falls_back_to_message(tmp_path):
    store = ResultStore(tmp_path / "results")
    state = exception_to_failed_state(ValueError("x"), store, write_result=True)
    (tmp_path / "results" / state.data["storage_key"]).unlink()
    fresh = State.model_validate(state.model_dump(mode="json"))
    with pytest.raises(FailedRun, match="ValueError: x"):
        fresh.result()


def test_missing_persisted_result_raises(tmp_path):
    store = ResultStore(tmp_path / "results")
    state = return_value_to_state(1, store, write_result=True)
    (tmp_path / "results" / state.data["storage_key"]).unlink()
    fresh = State.model_validate(state.model_dump(mode="json"))
    with pytest.raises(MissingResult, match="No result is stored"):
        fresh.result(retry_result_failure=False)


def test_unserializable_result_stays_in_memory(tmp_path, caplog):
    store = ResultStore(tmp_path / "results", serializer="json")
    state = return_value_to_state({1, object()}, store, write_result=True)
    assert state.data is None and len(state.result()) == 2
    assert "could not be persisted" in caplog.text


def test_to_state_create_drops_non_json_data():
    assert Completed(data=object()).to_state_create().data is None
    assert Completed(data="x" * 5000).to_state_create().data is None
    assert Completed(data={"small": [1, 2]}).to_state_create().data == {"small": [1, 2]}
    assert Failed(data=ValueError("e")).to_state_create().data is None


def test_manual_state_is_returned_as_given():
    state = Failed(message="custom")
    assert return_value_to_state(state) is state
    retry = AwaitingRetry()
    assert return_value_to_state(retry) is retry


def test_upstream_states_are_aggregated():
    ids = StateDetails(task_run_id=uuid.uuid4())
    done = Completed(state_details=ids, data=1)
    failed = Failed(state_details=ids)
    assert return_value_to_state([done, done]).is_completed()
    aggregate = return_value_to_state([done, failed])
    assert aggregate.is_failed() and aggregate.message == "1/2 states failed."
    assert return_value_to_state((done, Cancelled(state_details=ids))).is_cancelled()
    assert return_value_to_state(done).result() == done
    with pytest.raises(FailedRun):
        aggregate.result()


def test_generators_become_lists():
    assert return_value_to_state(i for i in range(3)).result() == [0, 1, 2]


def test_state_group_counts():
    group = StateGroup([Completed(), Failed(), Crashed(), Running()])
    assert group.fail_count == 2 and group.not_final_count == 1
    assert "total=4" in group.counts_message()


def test_is_state_helpers():
    assert is_state(Completed()) and is_state(StateSchema(type=StateType.RUNNING))
    assert not is_state({"type": "COMPLETED"})
    assert is_state_iterable([Completed()]) and not is_state_iterable([])
    assert not is_state_iterable([Completed(), 1])


def test_states_pickle_with_their_result():
    state = pickle.loads(pickle.dumps(Completed(data={"v": 1})))
    assert state.result() == {"v": 1}
    assert not pickle.loads(pickle.dumps(Completed())).has_result_in_memory()


def test_generic_annotation_and_repr():
    assert State[int] is not None
    text = repr(Completed(message="ok", data=list(range(100))))
    assert text.startswith("Completed(message='ok', type=COMPLETED") and len(text) < 200
    assert str(Failed(message="m")) == "Failed('m')"


def test_fresh_copy_has_new_identity():
    state = Completed(message="m", data=3)
    copy = state.fresh_copy()
    assert copy.id != state.id and copy.message == "m" and copy.result() == 3


def test_the_engines_completed_state_equals_a_validated_one():
    run_id, flow_run_id = uuid.uuid4(), uuid.uuid4()
    now = dt.datetime.now(dt.UTC)
    result = {"rows": [1, 2]}

    built = completed_run(result, timestamp=now, task_run_id=run_id, flow_run_id=flow_run_id)

    validated = Completed(
        id=built.id,
        timestamp=now,
        state_details={"task_run_id": run_id, "flow_run_id": flow_run_id},
    ).attach_result(result)
    assert built == validated
    assert built.model_fields_set == validated.model_fields_set
    assert built.state_details.model_fields_set == validated.state_details.model_fields_set
    assert built.result() is result
    assert built.to_state_create() == validated.to_state_create()
    assert pickle.loads(pickle.dumps(built)).result() == result
