"""What the task-run reporter sends for the records it was given."""

from __future__ import annotations

import datetime as dt
import uuid

from podium.engine import _records as records
from podium.engine._reporter import batch_of

FLOW_RUN_ID = uuid.uuid4()
START = dt.datetime(2026, 5, 6, 7, 8, 9, tzinfo=dt.UTC)
END = START + dt.timedelta(seconds=1)


def _creation(key: str = "add", **fields: object) -> dict:
    options: dict = {"tags": [], "policy": {}, "flow_run_run_count": 1, **fields}
    options.setdefault("state", records.timestamped("RUNNING", START))
    return records.creation(
        task_key=key,
        dynamic_key="0",
        id=uuid.uuid4(),
        name=f"{key}-0",
        flow_run_id=FLOW_RUN_ID,
        **options,  # type: ignore[arg-type]
    )


def _final(creation: dict, state_type: str = "COMPLETED", **fields: object) -> dict:
    return records.proposal(creation["id"], {"type": state_type, "timestamp": END}, **fields)  # type: ignore[arg-type]


def test_a_run_that_started_and_ended_between_two_sends_goes_as_one_array() -> None:
    run = _creation()

    batch = batch_of([run, _final(run, "FAILED")])

    assert batch == {
        "task_runs": [],
        "states": [],
        "ended_runs": [
            [run["id"], FLOW_RUN_ID, "add", "0", "add-0", 1, None, START, END, "FAILED"]
        ],
    }


def test_an_ended_run_carries_its_number_of_retries() -> None:
    run = _creation(policy={"retries": 3})

    [ended] = batch_of([run, _final(run)])["ended_runs"]

    assert ended[6] == 3


def test_records_with_more_than_a_type_and_a_time_go_as_they_are() -> None:
    tagged = _creation("tagged", tags=["etl"])
    retried = _creation("retried", policy={"retries": 2, "retry_delay": [1.0]})
    forced = _creation("forced")
    with_message = _creation("with_message")
    pending = _creation("pending", state=records.timestamped("PENDING", START))
    retrying = _creation("retrying")
    naive = _creation("naive", state=records.timestamped("RUNNING", START.replace(tzinfo=None)))
    unnamed = {k: v for k, v in _creation("unnamed").items() if k != "name"}
    stateless = {k: v for k, v in _creation("stateless").items() if k != "state"}
    items = [
        tagged,
        _final(tagged),
        retried,
        _final(retried),
        forced,
        _final(forced, force=True),
        with_message,
        {
            "task_run_id": with_message["id"],
            "state": {"type": "FAILED", "message": "boom", "timestamp": END},
        },
        pending,
        _final(pending),
        retrying,
        # the first proposal is not final: the run stays a creation with its proposals
        records.proposal(retrying["id"], {"type": "AWAITINGRETRY", "timestamp": END}),
        _final(retrying),
        naive,
        _final(naive),
        unnamed,
        _final(unnamed),
        stateless,
        _final(stateless),
    ]

    batch = batch_of(items)

    assert "ended_runs" not in batch
    assert batch["task_runs"] == [item for item in items if "task_run_id" not in item]
    assert batch["states"] == [item for item in items if "task_run_id" in item]


def test_runs_sent_earlier_or_still_running_keep_their_order() -> None:
    earlier = _creation("earlier")  # its creation went in the batch before
    running = _creation("running")
    ended = _creation("ended")
    last = _creation("last")
    items = [_final(earlier), running, ended, last, _final(ended)]

    batch = batch_of(items)

    assert batch["task_runs"] == [running, last]
    assert batch["states"] == [_final(earlier)]
    assert [run[0] for run in batch["ended_runs"]] == [ended["id"]]
