"""Task runs through the API, including the engine's batched reports."""

from __future__ import annotations

import datetime as dt
import gc
import uuid

import httpx
import pytest


@pytest.fixture
async def flow_run(api: httpx.AsyncClient) -> dict:
    flow = (await api.post("/flows/", json={"name": "etl"})).json()
    return (await api.post("/flow_runs/", json={"flow_id": flow["id"]})).json()


async def new_task_run(api: httpx.AsyncClient, **fields: object) -> dict:
    body = {"task_key": "extract", "dynamic_key": "0", **fields}
    answer = await api.post("/task_runs/", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def propose(
    api: httpx.AsyncClient, run_id: str, type_: str, *, force: bool = False, **state: object
) -> httpx.Response:
    return await api.post(
        f"/task_runs/{run_id}/set_state",
        json={"state": {"type": type_, **state}, "force": force},
    )


async def history(api: httpx.AsyncClient, run_id: str) -> list[dict]:
    answer = await api.get("/task_run_states/", params={"task_run_id": run_id})
    assert answer.status_code == 200, answer.text
    return answer.json()


def create(flow_run_id: str | None, key: str = "t", dynamic_key: str = "0", **fields: object):
    return {
        "id": str(uuid.uuid4()),
        "task_key": key,
        "dynamic_key": dynamic_key,
        "flow_run_id": flow_run_id,
        **fields,
    }


# --- single task runs ----------------------------------------------------------------


async def test_create_task_run_pending_with_a_derived_name(
    api: httpx.AsyncClient, flow_run: dict
) -> None:
    run = await new_task_run(api, flow_run_id=flow_run["id"], dynamic_key="3", tags=["x"])

    assert run["flow_run_id"] == flow_run["id"]
    assert run["state"]["type"] == "PENDING"
    assert run["state"]["state_details"]["task_run_id"] == run["id"]
    assert run["name"] == "extract-3"
    assert run["task_key"] == "extract"
    assert run["dynamic_key"] == "3"
    assert run["tags"] == ["x"]


async def test_create_task_run_with_a_state_and_no_flow_run(api: httpx.AsyncClient) -> None:
    run = await new_task_run(api, name="standalone", state={"type": "RUNNING"})

    assert run["flow_run_id"] is None
    assert run["name"] == "standalone"
    assert run["state_type"] == "RUNNING"
    assert run["run_count"] == 1
    assert run["start_time"] is not None


async def test_create_with_an_existing_id_returns_that_run(api: httpx.AsyncClient) -> None:
    run_id = str(uuid.uuid4())
    body = {"id": run_id, "task_key": "k", "dynamic_key": "0"}

    first = await api.post("/task_runs/", json=body)
    again = await api.post("/task_runs/", json={**body, "name": "other"})

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["id"] == run_id
    assert again.json()["name"] == first.json()["name"]
    assert (await api.post("/task_runs/count")).json() == 1


async def test_create_task_run_for_unknown_flow_run_is_404(api: httpx.AsyncClient) -> None:
    missing = str(uuid.uuid4())

    answer = await api.post(
        "/task_runs/", json={"task_key": "k", "dynamic_key": "0", "flow_run_id": missing}
    )

    assert answer.status_code == 404
    assert missing in answer.json()["detail"]


async def test_read_update_and_delete_task_run(api: httpx.AsyncClient, flow_run: dict) -> None:
    run = await new_task_run(api, flow_run_id=flow_run["id"])

    read = await api.get(f"/task_runs/{run['id']}")
    updated = await api.patch(f"/task_runs/{run['id']}", json={"name": "renamed", "tags": ["z"]})
    after_update = (await api.get(f"/task_runs/{run['id']}")).json()
    deleted = await api.delete(f"/task_runs/{run['id']}")

    assert read.status_code == 200
    assert read.json()["id"] == run["id"]
    assert updated.status_code == 204
    assert after_update["name"] == "renamed"
    assert after_update["tags"] == ["z"]
    assert deleted.status_code == 204
    assert (await api.get(f"/task_runs/{run['id']}")).status_code == 404
    assert (await api.get(f"/flow_runs/{flow_run['id']}")).status_code == 200


async def test_unknown_task_run_is_404_on_every_verb(api: httpx.AsyncClient) -> None:
    missing = str(uuid.uuid4())

    answers = [
        await api.get(f"/task_runs/{missing}"),
        await api.patch(f"/task_runs/{missing}", json={"name": "x"}),
        await api.delete(f"/task_runs/{missing}"),
        await propose(api, missing, "RUNNING"),
        await api.get("/task_run_states/", params={"task_run_id": missing}),
    ]

    for answer in answers:
        assert answer.status_code == 404, answer.request.url
        assert missing in answer.json()["detail"]


async def test_task_run_states_and_history(api: httpx.AsyncClient) -> None:
    run = await new_task_run(api)

    running = await propose(api, run["id"], "RUNNING")
    again = await propose(api, run["id"], "RUNNING")
    retrying = await propose(api, run["id"], "RUNNING", name="Retrying")
    completed = await propose(api, run["id"], "COMPLETED")

    assert running.status_code == 201
    assert again.status_code == 200
    assert again.json()["status"] == "REJECT"
    assert "already RUNNING" in again.json()["details"]["reason"]
    assert retrying.json()["status"] == "ACCEPT"
    assert completed.json()["status"] == "ACCEPT"
    stored = (await api.get(f"/task_runs/{run['id']}")).json()
    assert stored["run_count"] == 2
    assert stored["state_type"] == "COMPLETED"
    assert [s["name"] for s in await history(api, run["id"])] == [
        "Pending",
        "Running",
        "Retrying",
        "Completed",
    ]


async def test_state_data_of_any_json_value_is_kept_alone_and_in_batches(
    api: httpx.AsyncClient, flow_run: dict
) -> None:
    values = [5, 1.0, -7.25, "5", True, None, [1], {"a": 1}]
    alone = await new_task_run(api)
    for data in values:
        answer = await propose(api, alone["id"], "RUNNING", force=True, data=data)
        assert answer.status_code == 201, answer.text
    batched = [create(flow_run["id"], dynamic_key=str(i)) for i in range(len(values))]
    batch = {
        "task_runs": [{**run, "state": {"type": "RUNNING"}} for run in batched],
        "states": [
            {"task_run_id": run["id"], "state": {"type": "COMPLETED", "data": data}}
            for run, data in zip(batched, values, strict=True)
        ],
    }
    sent = await api.post("/task_runs/batch", json=batch)

    assert [s["data"] for s in await history(api, alone["id"])][1:] == values
    assert sent.status_code == 200, sent.text
    for run, data in zip(batched, values, strict=True):
        read = await api.get(f"/task_runs/{run['id']}")
        assert read.status_code == 200, read.text
        assert read.json()["state"]["data"] == data
        assert [s["data"] for s in await history(api, run["id"])] == [None, data]


async def test_failed_task_run_is_not_retried_by_the_server(api: httpx.AsyncClient) -> None:
    run = await new_task_run(api, empirical_policy={"retries": 3})
    await propose(api, run["id"], "RUNNING")

    failed = await propose(api, run["id"], "FAILED")

    assert failed.json()["status"] == "ACCEPT"
    assert failed.json()["state"]["type"] == "FAILED"


async def test_force_overrides_a_refusal(api: httpx.AsyncClient) -> None:
    run = await new_task_run(api, state={"type": "COMPLETED"})

    refused = await propose(api, run["id"], "FAILED")
    forced = await propose(api, run["id"], "FAILED", force=True)

    assert refused.json()["status"] == "REJECT"
    assert forced.json()["status"] == "ACCEPT"
    assert (await api.get(f"/task_runs/{run['id']}")).json()["state_type"] == "FAILED"


# --- filters -----------------------------------------------------------------------


async def test_filter_task_runs_by_flow_run_id(api: httpx.AsyncClient, flow_run: dict) -> None:
    other = (await api.post("/flow_runs/", json={"flow_id": flow_run["flow_id"]})).json()
    mine = [
        await new_task_run(api, flow_run_id=flow_run["id"], dynamic_key=str(i)) for i in range(3)
    ]
    await new_task_run(api, flow_run_id=other["id"])
    orphan = await new_task_run(api, task_key="orphan")

    answer = await api.post(
        "/task_runs/filter",
        json={"task_runs": {"flow_run_id": {"any_": [flow_run["id"]]}}, "sort": "NAME_ASC"},
    )
    without = await api.post(
        "/task_runs/filter", json={"task_runs": {"flow_run_id": {"is_null_": True}}}
    )
    counted = await api.post(
        "/task_runs/count", json={"task_runs": {"flow_run_id": {"any_": [flow_run["id"]]}}}
    )

    assert [r["id"] for r in answer.json()] == [r["id"] for r in mine]
    assert [r["id"] for r in without.json()] == [orphan["id"]]
    assert counted.json() == 3


async def test_filter_task_runs_by_key_state_tags_and_flow_run(
    api: httpx.AsyncClient, flow_run: dict
) -> None:
    a = await new_task_run(api, task_key="a", tags=["x", "y"], flow_run_id=flow_run["id"])
    b = await new_task_run(api, task_key="b", tags=["y"], state={"type": "RUNNING"})
    c = await new_task_run(api, task_key="c", name="special-c")

    async def ids(**request: object) -> set[str]:
        answer = await api.post("/task_runs/filter", json=request)
        assert answer.status_code == 200, answer.text
        return {r["id"] for r in answer.json()}

    assert await ids(task_runs={"task_key": {"any_": ["a", "c"]}}) == {a["id"], c["id"]}
    assert await ids(task_runs={"tags": {"all_": ["x", "y"]}}) == {a["id"]}
    assert await ids(task_runs={"tags": {"any_": ["y"]}}) == {a["id"], b["id"]}
    assert await ids(task_runs={"state": {"type": {"any_": ["RUNNING"]}}}) == {b["id"]}
    assert await ids(task_runs={"name": {"like_": "SPECIAL"}}) == {c["id"]}
    assert await ids(flow_runs={"id": {"any_": [flow_run["id"]]}}) == {a["id"]}
    assert await ids(task_runs={"id": {"any_": [b["id"]]}}) == {b["id"]}


async def test_filter_task_runs_by_start_time(api: httpx.AsyncClient) -> None:
    t0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    early = await new_task_run(api, task_key="early")
    late = await new_task_run(api, task_key="late")
    await propose(api, early["id"], "RUNNING", timestamp=t0.isoformat())
    await propose(api, late["id"], "RUNNING", timestamp=(t0 + dt.timedelta(days=1)).isoformat())

    answer = await api.post(
        "/task_runs/filter",
        json={"task_runs": {"start_time": {"after_": (t0 + dt.timedelta(hours=1)).isoformat()}}},
    )

    assert [r["id"] for r in answer.json()] == [late["id"]]


async def test_task_run_sort_and_paging(api: httpx.AsyncClient) -> None:
    for name in ("c", "a", "d", "b"):
        await new_task_run(api, name=name, dynamic_key=name)

    async def names(**request: object) -> list[str]:
        return [r["name"] for r in (await api.post("/task_runs/filter", json=request)).json()]

    assert await names(sort="NAME_ASC") == ["a", "b", "c", "d"]
    assert await names(sort="NAME_DESC", limit=2) == ["d", "c"]
    assert await names(sort="NAME_ASC", limit=2, offset=2) == ["c", "d"]
    assert await names(sort="EXPECTED_START_TIME_ASC") == ["c", "a", "d", "b"]
    assert await names() == ["b", "d", "a", "c"]


# --- batches -----------------------------------------------------------------------


async def test_batch_creates_runs_then_applies_proposals_in_order(
    api: httpx.AsyncClient, flow_run: dict
) -> None:
    first = create(flow_run["id"], "extract")
    second = create(flow_run["id"], "load")
    batch = {
        "task_runs": [first, second],
        "states": [
            {"task_run_id": first["id"], "state": {"type": "RUNNING"}},
            {"task_run_id": second["id"], "state": {"type": "RUNNING"}},
            {"task_run_id": first["id"], "state": {"type": "COMPLETED"}},
            {"task_run_id": second["id"], "state": {"type": "FAILED", "message": "boom"}},
        ],
    }

    answer = await api.post("/task_runs/batch", json=batch)

    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["created"] == 2
    assert (result["accepted"], result["refused"]) == (4, [])
    one = (await api.get(f"/task_runs/{first['id']}")).json()
    two = (await api.get(f"/task_runs/{second['id']}")).json()
    assert (one["state_type"], one["run_count"]) == ("COMPLETED", 1)
    assert (two["state_type"], two["state"]["message"]) == ("FAILED", "boom")
    assert [s["type"] for s in await history(api, first["id"])] == [
        "PENDING",
        "RUNNING",
        "COMPLETED",
    ]


async def test_batch_sent_twice_creates_nothing_new(api: httpx.AsyncClient, flow_run: dict) -> None:
    runs = [create(flow_run["id"], "t", str(i)) for i in range(5)]
    batch = {
        "task_runs": runs,
        "states": [{"task_run_id": r["id"], "state": {"type": "COMPLETED"}} for r in runs],
    }

    first = await api.post("/task_runs/batch", json=batch)
    again = await api.post("/task_runs/batch", json=batch)

    assert first.json()["created"] == 5
    assert again.status_code == 200
    assert again.json()["created"] == 0
    assert again.json()["accepted"] == 0
    assert [r["status"] for r in again.json()["refused"]] == ["REJECT"] * 5
    assert [r["index"] for r in again.json()["refused"]] == list(range(5))
    assert (await api.post("/task_runs/count")).json() == 5
    for run in runs:
        assert [s["type"] for s in await history(api, run["id"])] == ["PENDING", "COMPLETED"]


async def test_batch_delivered_again_counts_the_states_it_holds_as_repeated(
    api: httpx.AsyncClient, flow_run: dict
) -> None:
    # The reporter sends a batch again when its answer was lost: the second
    # delivery must not read as refusals (the engine times every state it proposes).
    start = dt.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=dt.UTC)
    runs = [create(flow_run["id"], "t", str(i)) for i in range(3)]
    batch = {
        "task_runs": [
            {**run, "state": {"type": "RUNNING", "timestamp": start.isoformat()}} for run in runs
        ],
        "states": [
            {
                "task_run_id": run["id"],
                "state": {
                    "type": "COMPLETED",
                    "timestamp": (start + dt.timedelta(seconds=i + 1))
                    .astimezone(dt.timezone(dt.timedelta(hours=2)))
                    .isoformat(),
                },
            }
            for i, run in enumerate(runs)
        ],
    }
    late = {
        "task_runs": [],
        "states": [
            {
                "task_run_id": runs[0]["id"],
                "state": {
                    "type": "COMPLETED",
                    "timestamp": (start + dt.timedelta(hours=1)).isoformat(),
                },
            }
        ],
    }

    first = (await api.post("/task_runs/batch", json=batch)).json()
    again = (await api.post("/task_runs/batch", json=batch)).json()
    other = (await api.post("/task_runs/batch", json=late)).json()

    assert (first["created"], first["accepted"], first["repeated"]) == (3, 3, 0)
    assert (again["created"], again["accepted"], again["refused"]) == (0, 0, [])
    assert again["repeated"] == 3
    # A Completed of another time is a new proposal, and refused as before.
    assert other["repeated"] == 0
    assert [r["status"] for r in other["refused"]] == ["REJECT"]
    for run in runs:
        assert [s["type"] for s in await history(api, run["id"])] == ["RUNNING", "COMPLETED"]


async def test_a_run_listed_twice_in_one_batch_is_created_once(
    api: httpx.AsyncClient, flow_run: dict
) -> None:
    run = create(flow_run["id"], state={"type": "RUNNING"})
    again = {**run, "name": "other", "state": {"type": "FAILED"}}

    answer = await api.post("/task_runs/batch", json={"task_runs": [run, again]})

    assert answer.json()["created"] == 1
    stored = (await api.get(f"/task_runs/{run['id']}")).json()
    assert (stored["name"], stored["state_type"]) == ("t-0", "RUNNING")
    assert [s["type"] for s in await history(api, run["id"])] == ["RUNNING"]


async def test_batch_creation_with_an_initial_state(api: httpx.AsyncClient) -> None:
    run = create(None, state={"type": "RUNNING"})

    answer = await api.post("/task_runs/batch", json={"task_runs": [run]})

    assert answer.json() == {"created": 1, "accepted": 0, "refused": [], "repeated": 0}
    stored = (await api.get(f"/task_runs/{run['id']}")).json()
    assert (stored["state_type"], stored["run_count"]) == ("RUNNING", 1)


async def test_batch_proposals_for_existing_runs(api: httpx.AsyncClient) -> None:
    existing = await new_task_run(api)
    batch = {
        "states": [
            {"task_run_id": existing["id"], "state": {"type": "RUNNING"}},
            {"task_run_id": existing["id"], "state": {"type": "PENDING"}},
            {"task_run_id": existing["id"], "state": {"type": "PENDING"}, "force": True},
        ]
    }

    answer = await api.post("/task_runs/batch", json=batch)

    assert answer.json()["accepted"] == 2
    [refusal] = answer.json()["refused"]
    assert (refusal["index"], refusal["status"]) == (1, "ABORT")
    assert "already RUNNING" in refusal["reason"]
    assert refusal["state"]["type"] == "RUNNING"
    assert (await api.get(f"/task_runs/{existing['id']}")).json()["state_type"] == "PENDING"


def _instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


async def test_batch_timestamps_in_any_zone_or_none_are_stored_as_their_utc_instant(
    api: httpx.AsyncClient, flow_run: dict
) -> None:
    # Naive (taken as UTC), "Z" and another zone, for a new run (no rule judges
    # its states) and for a run that existed before the batch (judged).
    existing = await new_task_run(api, flow_run_id=flow_run["id"], task_key="before")
    new = create(
        flow_run["id"], "new", state={"type": "RUNNING", "timestamp": "2026-03-01T10:00:00"}
    )
    batch = {
        "task_runs": [new],
        "states": [
            {
                "task_run_id": new["id"],
                "state": {"type": "COMPLETED", "timestamp": "2026-03-01T12:30:00+02:00"},
            },
            {
                "task_run_id": existing["id"],
                "state": {"type": "RUNNING", "timestamp": "2026-03-01T10:00:00Z"},
            },
            {
                "task_run_id": existing["id"],
                "state": {"type": "COMPLETED", "timestamp": "2026-03-01T10:00:07.25"},
            },
            # refused (already Completed): the answer's state is the stored one, in UTC
            {
                "task_run_id": existing["id"],
                "state": {"type": "COMPLETED", "timestamp": "2026-03-01T11:00:00+01:00"},
            },
        ],
    }

    answer = await api.post("/task_runs/batch", json=batch)

    assert answer.status_code == 200, answer.text
    [refusal] = answer.json()["refused"]
    assert _instant(refusal["state"]["timestamp"]) == dt.datetime(
        2026, 3, 1, 10, 0, 7, 250000, tzinfo=dt.UTC
    )
    utc = dt.UTC
    for run_id, start, end in (
        (
            new["id"],
            dt.datetime(2026, 3, 1, 10, tzinfo=utc),
            dt.datetime(2026, 3, 1, 10, 30, tzinfo=utc),
        ),
        (
            existing["id"],
            dt.datetime(2026, 3, 1, 10, tzinfo=utc),
            dt.datetime(2026, 3, 1, 10, 0, 7, 250000, tzinfo=utc),
        ),
    ):
        stored = (await api.get(f"/task_runs/{run_id}")).json()
        assert (_instant(stored["start_time"]), _instant(stored["end_time"])) == (start, end)
        assert stored["total_run_time"] == (end - start).total_seconds()
        states = await history(api, run_id)
        assert {start, end} <= {_instant(s["timestamp"]) for s in states}
        assert all(_instant(s["timestamp"]).utcoffset() == dt.timedelta(0) for s in states)
    listed = (
        await api.post("/task_runs/filter", json={"task_runs": {"id": {"any_": [new["id"]]}}})
    ).json()
    assert _instant(listed[0]["state"]["timestamp"]) == dt.datetime(2026, 3, 1, 10, 30, tzinfo=utc)


async def test_batch_with_unknown_flow_run_is_404_and_writes_nothing(
    api: httpx.AsyncClient, flow_run: dict
) -> None:
    missing = str(uuid.uuid4())
    good = create(flow_run["id"])
    bad = create(missing)

    answer = await api.post("/task_runs/batch", json={"task_runs": [good, bad]})

    assert answer.status_code == 404
    assert missing in answer.json()["detail"]
    assert "flow_run_id" in answer.json()["detail"]
    assert (await api.post("/task_runs/count")).json() == 0


async def test_batch_proposal_for_unknown_task_run_is_refused_and_the_rest_is_applied(
    api: httpx.AsyncClient,
) -> None:
    # A batch the reporter lost must not take the next one down with it: the next
    # one's proposals for the lost runs are refused, its own runs are written.
    missing = str(uuid.uuid4())
    fresh = create(None)
    batch = {
        "task_runs": [fresh],
        "states": [
            {"task_run_id": missing, "state": {"type": "COMPLETED"}},
            {"task_run_id": fresh["id"], "state": {"type": "COMPLETED"}},
        ],
    }

    answer = await api.post("/task_runs/batch", json=batch)

    assert answer.status_code == 200
    body = answer.json()
    assert (body["created"], body["accepted"]) == (1, 1)
    [refusal] = body["refused"]
    assert refusal["index"] == 0
    assert refusal["task_run_id"] == missing
    assert refusal["status"] == "ABORT"
    assert missing in refusal["reason"] and "not found" in refusal["reason"]
    written = await api.get(f"/task_runs/{fresh['id']}")
    assert written.status_code == 200
    assert written.json()["state"]["type"] == "COMPLETED"
    assert (await api.get(f"/task_runs/{missing}")).status_code == 404


async def test_empty_batch_is_accepted(api: httpx.AsyncClient) -> None:
    answer = await api.post("/task_runs/batch", json={})

    assert answer.status_code == 200
    assert answer.json() == {"created": 0, "accepted": 0, "refused": [], "repeated": 0}


def _without_ids_and_times(body: dict) -> dict:
    changing = {"id", "created", "updated", "state_id", "task_run_id", "timestamp"}
    return {
        key: _without_ids_and_times(value) if isinstance(value, dict) else value
        for key, value in body.items()
        if key not in changing
    }


# A task run's life with refusals along the way: Running twice, Pending while
# Running, a retry in place, Completed twice, and Running after the end.
LIFE = [
    {"type": "RUNNING", "timestamp": "2026-01-02T03:04:05.000001+00:00"},
    {"type": "RUNNING"},
    {"type": "PENDING"},
    {"type": "RUNNING", "name": "Retrying", "timestamp": "2026-01-02T03:04:06+00:00"},
    {
        "type": "COMPLETED",
        "timestamp": "2026-01-02T05:04:06.5-02:00",
        "data": {"k": [1, "two"]},
        "state_details": {"cache_key": "c"},
    },
    {"type": "COMPLETED"},
    {"type": "RUNNING", "message": "again"},
]


async def test_batch_judges_like_single_proposals_and_stores_the_same_run(
    api: httpx.AsyncClient, flow_run: dict
) -> None:
    fields = {
        "tags": ["t"],
        "empirical_policy": {"retries": 1, "retry_delay": [2, 3]},
        "state": {"type": "PENDING", "timestamp": "2026-01-02T03:04:00+00:00"},
    }
    batched = create(flow_run["id"], "load", "0", **fields)
    single = await new_task_run(api, flow_run_id=flow_run["id"], task_key="load", **fields)
    answers = [await propose(api, single["id"], **state) for state in _as_propose_args(LIFE)]

    batch = {
        "task_runs": [batched],
        "states": [{"task_run_id": batched["id"], "state": state} for state in LIFE],
    }
    result = (await api.post("/task_runs/batch", json=batch)).json()

    refusals = [(i, a.json()) for i, a in enumerate(answers) if a.json()["status"] != "ACCEPT"]
    assert [r["index"] for r in result["refused"]] == [i for i, _ in refusals] == [1, 2, 5, 6]
    for refusal, (_, answer) in zip(result["refused"], refusals, strict=True):
        assert refusal["status"] == answer["status"]
        assert refusal["reason"] == answer["details"]["reason"]
        assert _without_ids_and_times(refusal["state"]) == _without_ids_and_times(answer["state"])
    assert result["accepted"] == 3
    stored = (await api.get(f"/task_runs/{batched['id']}")).json()
    expected = (await api.get(f"/task_runs/{single['id']}")).json()
    assert _without_ids_and_times(stored) == _without_ids_and_times(expected)
    assert stored["run_count"] == 2
    assert stored["total_run_time"] == expected["total_run_time"] == 4 * 3600 + 1.499999
    for key in ("start_time", "end_time", "expected_start_time"):
        assert stored[key] == expected[key]
    histories = [await history(api, run["id"]) for run in (batched, single)]
    assert [_without_ids_and_times(s) for s in histories[0]] == [
        _without_ids_and_times(s) for s in histories[1]
    ]


def _as_propose_args(states: list[dict]) -> list[dict]:
    return [{"type_": s["type"], **{k: v for k, v in s.items() if k != "type"}} for s in states]


async def test_the_garbage_collector_runs_again_after_a_batch_whatever_its_answer(
    api: httpx.AsyncClient, flow_run: dict
) -> None:
    # The route pauses the cyclic collector while it works on a batch.
    assert gc.isenabled()
    good = {"task_runs": [create(flow_run["id"], state={"type": "RUNNING"})]}
    unknown_flow_run = {"task_runs": [create(str(uuid.uuid4()))]}
    unknown_task_run = {
        "states": [{"task_run_id": str(uuid.uuid4()), "state": {"type": "RUNNING"}}]
    }

    assert (await api.post("/task_runs/batch", json=good)).status_code == 200
    assert gc.isenabled()
    answer = await api.post("/task_runs/batch", json=unknown_flow_run)
    assert answer.status_code == 404, answer.text
    assert gc.isenabled()
    answer = await api.post("/task_runs/batch", json=unknown_task_run)
    assert answer.status_code == 200 and answer.json()["refused"], answer.text
    assert gc.isenabled()
    assert (await api.post("/task_runs/batch", json={"task_runs": "nope"})).status_code == 422
    assert gc.isenabled()


# --- ended runs: a creation and its final state as one array -------------------------


def _ended(
    flow_run_id: str | None,
    key: str,
    started: str,
    ended: str,
    final: str = "COMPLETED",
    *,
    run_id: str | None = None,
    flow_run_run_count: int = 1,
    retries: int | None = 0,
) -> list:
    return [
        run_id or str(uuid.uuid4()),
        flow_run_id,
        key,
        "0",
        f"{key}-0",
        flow_run_run_count,
        retries,
        started,
        ended,
        final,
    ]


def _as_records(run: list) -> tuple[dict, dict]:
    """The creation and the proposal an ended run stands for."""
    run_id, flow_run_id, key, dynamic_key, name, count, retries, started, ended, final = run
    creation = {
        "id": run_id,
        "task_key": key,
        "dynamic_key": dynamic_key,
        "name": name,
        "flow_run_id": flow_run_id,
        "flow_run_run_count": count,
        "state": {"type": "RUNNING", "timestamp": started},
    }
    if retries is not None:
        creation["empirical_policy"] = {"retries": retries}
    return creation, {"task_run_id": run_id, "state": {"type": final, "timestamp": ended}}


async def test_ended_runs_are_stored_as_their_creation_and_final_state(
    api: httpx.AsyncClient, flow_run: dict
) -> None:
    at = "2026-05-06T07:08:09.123456+00:00"
    shapes = [
        ("completed", at, "2026-05-06T07:08:10.5+00:00", "COMPLETED", 1, 0),
        ("failed", "2026-05-06T12:38:09+05:30", "2026-05-06T07:09:00Z", "FAILED", 2, 3),
        ("crashed", at, at, "CRASHED", 1, None),
        ("backwards", "2026-05-06T07:08:10+00:00", at, "CANCELLED", 1, 0),
    ]
    ended = [
        _ended(flow_run["id"], key, start, end, final, flow_run_run_count=count, retries=retries)
        for key, start, end, final, count, retries in shapes
    ]
    ended.append(_ended(None, "alone", at, "2026-05-06T07:08:09.2+00:00"))
    # The same runs, with ids of their own, as creations and proposals.
    as_records = [_as_records([str(uuid.uuid4()), *run[1:]]) for run in ended]

    one = (await api.post("/task_runs/batch", json={"ended_runs": ended})).json()
    other = (
        await api.post(
            "/task_runs/batch",
            json={
                "task_runs": [creation for creation, _ in as_records],
                "states": [proposal for _, proposal in as_records],
            },
        )
    ).json()

    assert one == other == {"created": 5, "accepted": 5, "refused": [], "repeated": 0}
    for run, (creation, _) in zip(ended, as_records, strict=True):
        stored = (await api.get(f"/task_runs/{run[0]}")).json()
        expected = (await api.get(f"/task_runs/{creation['id']}")).json()
        assert _without_ids_and_times(stored) == _without_ids_and_times(expected)
        for key in ("start_time", "end_time", "expected_start_time", "total_run_time"):
            assert stored[key] == expected[key], key
        assert (stored["state_type"], stored["run_count"]) == (run[-1], 1)
        assert stored["flow_run_run_count"] == run[5]
        assert stored["empirical_policy"]["retries"] == run[6]
        # (Two states at the same instant are listed in either order.)
        histories = [
            sorted(await history(api, run_id), key=lambda s: (_instant(s["timestamp"]), s["type"]))
            for run_id in (run[0], creation["id"])
        ]
        assert sorted((s["type"], s["name"]) for s in histories[0]) == sorted(
            [("RUNNING", "Running"), (run[-1], run[-1].title())]
        )
        assert [s["state_details"]["task_run_id"] for s in histories[0]] == [run[0], run[0]]
        assert [_without_ids_and_times(s) for s in histories[0]] == [
            _without_ids_and_times(s) for s in histories[1]
        ]
        assert [_instant(s["timestamp"]) for s in histories[0]] == [
            _instant(s["timestamp"]) for s in histories[1]
        ]
    counted = await api.post(
        "/task_runs/count", json={"flow_runs": {"id": {"any_": [flow_run["id"]]}}}
    )
    assert counted.json() == 8


async def test_ended_runs_take_their_place_before_the_batch_proposals(
    api: httpx.AsyncClient, flow_run: dict
) -> None:
    at, later = "2026-05-06T07:08:09+00:00", "2026-05-06T07:08:10+00:00"
    sent_before = _ended(flow_run["id"], "before", at, later)
    await api.post("/task_runs/batch", json={"ended_runs": [sent_before]})
    followed = _ended(flow_run["id"], "followed", at, later)
    twice = _ended(flow_run["id"], "twice", at, later)
    created = create(flow_run["id"], "created", state={"type": "RUNNING", "timestamp": at})
    also_created = _ended(flow_run["id"], "created", at, later, "FAILED", run_id=created["id"])
    batch = {
        "task_runs": [created],
        "states": [
            # refused: the ended run is already Completed when this is judged
            {"task_run_id": followed[0], "state": {"type": "RUNNING"}},
        ],
        "ended_runs": [
            followed,
            sent_before,  # delivered again: repeated
            twice,
            [*twice[:8], "2026-05-06T07:08:11+00:00", "FAILED"],  # refused: already ended
            also_created,  # the final state of the run created above
        ],
    }

    answer = await api.post("/task_runs/batch", json=batch)

    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert (result["created"], result["accepted"], result["repeated"]) == (3, 3, 1)
    assert [(r["index"], r["task_run_id"], r["status"]) for r in result["refused"]] == [
        (0, followed[0], "REJECT"),
        (4, twice[0], "REJECT"),
    ]
    for run, final in ((followed, "COMPLETED"), (twice, "COMPLETED"), (created, "FAILED")):
        run_id = run["id"] if isinstance(run, dict) else run[0]
        assert [s["type"] for s in await history(api, run_id)] == ["RUNNING", final]
    assert [s["type"] for s in await history(api, sent_before[0])] == ["RUNNING", "COMPLETED"]


@pytest.mark.parametrize(
    ("position", "value", "named"),
    [
        (7, "2026-05-06T07:08:09", "timezone"),
        (9, "RUNNING", "COMPLETED"),
        (6, "two", "integer"),
        (2, "", "at least 1 character"),
        (0, "not-an-id", "UUID"),
    ],
)
async def test_an_ended_run_that_is_not_valid_is_refused_with_its_place_named(
    api: httpx.AsyncClient, flow_run: dict, position: int, value: str, named: str
) -> None:
    good = _ended(flow_run["id"], "good", "2026-05-06T07:08:09Z", "2026-05-06T07:08:10Z")
    bad = list(good)
    bad[0] = str(uuid.uuid4())
    bad[position] = value

    answer = await api.post("/task_runs/batch", json={"ended_runs": [good, bad]})

    assert answer.status_code == 422
    [error] = answer.json()["errors"]
    assert error["loc"] == ["body", "ended_runs", 1, position]
    assert named in error["msg"]
    field = {0: "id", 2: "task_key", 6: "retries", 7: "started", 9: "final_type"}[position]
    assert answer.json()["detail"].startswith(f"Invalid request: ended_runs.1.{field}: ")
    assert (await api.post("/task_runs/count")).json() == 0
