"""Flow runs through the API: create, read, update, delete, states and retries."""

from __future__ import annotations

import datetime as dt
import uuid

import httpx
import pytest


async def new_flow(api: httpx.AsyncClient, name: str = "etl") -> str:
    return (await api.post("/flows/", json={"name": name})).json()["id"]


async def new_run(api: httpx.AsyncClient, flow_id: str, **fields: object) -> dict:
    answer = await api.post("/flow_runs/", json={"flow_id": flow_id, **fields})
    assert answer.status_code == 201, answer.text
    return answer.json()


async def propose(
    api: httpx.AsyncClient, run_id: str, type_: str, *, force: bool = False, **state: object
) -> httpx.Response:
    return await api.post(
        f"/flow_runs/{run_id}/set_state",
        json={"state": {"type": type_, **state}, "force": force},
    )


async def history(api: httpx.AsyncClient, run_id: str) -> list[dict]:
    answer = await api.get("/flow_run_states/", params={"flow_run_id": run_id})
    assert answer.status_code == 200, answer.text
    return answer.json()


# --- create and read ---------------------------------------------------------------


async def test_create_flow_run_is_pending_with_a_generated_name(api: httpx.AsyncClient) -> None:
    flow_id = await new_flow(api)

    run = await new_run(api, flow_id, parameters={"x": 1}, tags=["t"])

    assert run["flow_id"] == flow_id
    assert run["state"]["type"] == "PENDING"
    assert run["state"]["name"] == "Pending"
    assert run["state_type"] == "PENDING"
    assert run["state"]["state_details"]["flow_run_id"] == run["id"]
    assert run["name"]
    assert run["parameters"] == {"x": 1}
    assert run["tags"] == ["t"]
    assert run["run_count"] == 0
    assert run["start_time"] is None


async def test_generated_names_differ_between_runs(api: httpx.AsyncClient) -> None:
    flow_id = await new_flow(api)

    names = {(await new_run(api, flow_id))["name"] for _ in range(12)}

    assert len(names) > 1


async def test_create_flow_run_with_a_state_and_a_name(api: httpx.AsyncClient) -> None:
    flow_id = await new_flow(api)
    when = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)

    run = await new_run(
        api,
        flow_id,
        name="my-run",
        state={"type": "SCHEDULED", "state_details": {"scheduled_time": when.isoformat()}},
    )

    assert run["name"] == "my-run"
    assert run["state"]["type"] == "SCHEDULED"
    assert run["state"]["name"] == "Scheduled"
    assert dt.datetime.fromisoformat(run["next_scheduled_start_time"]) == when
    assert dt.datetime.fromisoformat(run["expected_start_time"]) == when


async def test_idempotency_key_returns_the_same_run(api: httpx.AsyncClient) -> None:
    flow_id = await new_flow(api)
    first = await api.post("/flow_runs/", json={"flow_id": flow_id, "idempotency_key": "k1"})
    again = await api.post(
        "/flow_runs/", json={"flow_id": flow_id, "idempotency_key": "k1", "name": "other"}
    )
    different = await api.post("/flow_runs/", json={"flow_id": flow_id, "idempotency_key": "k2"})

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["name"] == first.json()["name"]
    assert different.status_code == 201
    assert different.json()["id"] != first.json()["id"]
    assert (await api.post("/flow_runs/count")).json() == 2


async def test_create_with_an_existing_id_returns_that_run(api: httpx.AsyncClient) -> None:
    flow_id = await new_flow(api)
    run_id = str(uuid.uuid4())
    first = await api.post("/flow_runs/", json={"flow_id": flow_id, "id": run_id})
    again = await api.post("/flow_runs/", json={"flow_id": flow_id, "id": run_id})

    assert first.status_code == 201
    assert first.json()["id"] == run_id
    assert again.status_code == 200
    assert again.json()["id"] == run_id


async def test_read_flow_run(api: httpx.AsyncClient) -> None:
    flow_id = await new_flow(api)
    run = await new_run(api, flow_id, labels={"env": "test"})

    answer = await api.get(f"/flow_runs/{run['id']}")

    assert answer.status_code == 200
    assert answer.json()["id"] == run["id"]
    assert answer.json()["labels"] == {"env": "test"}
    assert answer.json()["state"]["id"] == run["state"]["id"]


async def test_create_run_of_unknown_flow_is_404_naming_it(api: httpx.AsyncClient) -> None:
    missing = uuid.uuid4()

    answer = await api.post("/flow_runs/", json={"flow_id": str(missing)})

    assert answer.status_code == 404
    assert str(missing) in answer.json()["detail"]


async def test_unknown_flow_run_is_404_on_every_verb(api: httpx.AsyncClient) -> None:
    missing = str(uuid.uuid4())

    answers = [
        await api.get(f"/flow_runs/{missing}"),
        await api.patch(f"/flow_runs/{missing}", json={"name": "x"}),
        await api.delete(f"/flow_runs/{missing}"),
        await propose(api, missing, "RUNNING"),
        await api.get("/flow_run_states/", params={"flow_run_id": missing}),
    ]

    for answer in answers:
        assert answer.status_code == 404, answer.request.url
        assert missing in answer.json()["detail"]


# --- update and delete -------------------------------------------------------------


async def test_update_name_and_tags(api: httpx.AsyncClient) -> None:
    flow_id = await new_flow(api)
    run = await new_run(api, flow_id, tags=["old"], parameters={"keep": True})

    answer = await api.patch(f"/flow_runs/{run['id']}", json={"name": "renamed", "tags": ["n"]})

    assert answer.status_code == 204
    assert answer.content == b""
    stored = (await api.get(f"/flow_runs/{run['id']}")).json()
    assert stored["name"] == "renamed"
    assert stored["tags"] == ["n"]
    assert stored["parameters"] == {"keep": True}


async def test_delete_flow_run_removes_it_and_its_task_runs(api: httpx.AsyncClient) -> None:
    flow_id = await new_flow(api)
    run = await new_run(api, flow_id)
    other = await new_run(api, flow_id)
    task = await api.post(
        "/task_runs/", json={"task_key": "t", "dynamic_key": "0", "flow_run_id": run["id"]}
    )

    answer = await api.delete(f"/flow_runs/{run['id']}")

    assert answer.status_code == 204
    assert (await api.get(f"/flow_runs/{run['id']}")).status_code == 404
    assert (await api.get(f"/task_runs/{task.json()['id']}")).status_code == 404
    assert (await api.get(f"/flow_runs/{other['id']}")).status_code == 200
    assert (await api.delete(f"/flow_runs/{run['id']}")).status_code == 404


# --- set_state ---------------------------------------------------------------------


async def test_accepted_states_move_the_run_and_its_times(api: httpx.AsyncClient) -> None:
    run = await new_run(api, await new_flow(api))

    running = await propose(api, run["id"], "RUNNING")
    completed = await propose(api, run["id"], "COMPLETED", message="done")

    assert running.status_code == 201
    assert running.json()["status"] == "ACCEPT"
    assert running.json()["details"]["type"] == "accept_details"
    assert running.json()["state"]["type"] == "RUNNING"
    assert completed.status_code == 201
    assert completed.json()["state"]["message"] == "done"
    stored = (await api.get(f"/flow_runs/{run['id']}")).json()
    assert stored["state_type"] == "COMPLETED"
    assert stored["state_name"] == "Completed"
    assert stored["state"]["id"] == completed.json()["state"]["id"]
    assert stored["run_count"] == 1
    start = dt.datetime.fromisoformat(stored["start_time"])
    end = dt.datetime.fromisoformat(stored["end_time"])
    assert start <= end
    assert stored["total_run_time"] == pytest.approx((end - start).total_seconds(), abs=1e-3)


async def test_refused_transition_is_200_with_the_reason(api: httpx.AsyncClient) -> None:
    run = await new_run(api, await new_flow(api))
    await propose(api, run["id"], "RUNNING")
    await propose(api, run["id"], "COMPLETED")

    again = await propose(api, run["id"], "COMPLETED")
    backwards = await propose(api, run["id"], "RUNNING")

    assert again.status_code == 200
    assert again.json()["status"] == "REJECT"
    assert again.json()["details"]["type"] == "reject_details"
    assert "already COMPLETED" in again.json()["details"]["reason"]
    assert again.json()["state"]["type"] == "COMPLETED"
    assert backwards.json()["status"] == "REJECT"
    assert "terminal state COMPLETED" in backwards.json()["details"]["reason"]
    assert (await api.get(f"/flow_runs/{run['id']}")).json()["state_type"] == "COMPLETED"
    assert len(await history(api, run["id"])) == 3


async def test_second_pending_is_aborted(api: httpx.AsyncClient) -> None:
    run = await new_run(api, await new_flow(api))

    answer = await propose(api, run["id"], "PENDING")

    assert answer.status_code == 200
    assert answer.json()["status"] == "ABORT"
    assert answer.json()["details"]["type"] == "abort_details"
    assert "already PENDING" in answer.json()["details"]["reason"]
    assert len(await history(api, run["id"])) == 1


async def test_start_before_scheduled_time_is_told_to_wait(api: httpx.AsyncClient) -> None:
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    run = await new_run(
        api,
        await new_flow(api),
        state={"type": "SCHEDULED", "state_details": {"scheduled_time": later.isoformat()}},
    )

    answer = await propose(api, run["id"], "PENDING")

    assert answer.status_code == 200
    assert answer.json()["status"] == "WAIT"
    assert answer.json()["details"]["type"] == "wait_details"
    assert 3500 < answer.json()["details"]["delay_seconds"] <= 3600
    assert (await api.get(f"/flow_runs/{run['id']}")).json()["state_type"] == "SCHEDULED"


async def test_force_accepts_a_transition_the_rules_refuse(api: httpx.AsyncClient) -> None:
    run = await new_run(api, await new_flow(api))
    await propose(api, run["id"], "RUNNING")
    await propose(api, run["id"], "COMPLETED")

    refused = await propose(api, run["id"], "RUNNING")
    forced = await propose(api, run["id"], "RUNNING", force=True)

    assert refused.json()["status"] == "REJECT"
    assert forced.status_code == 201
    assert forced.json()["status"] == "ACCEPT"
    stored = (await api.get(f"/flow_runs/{run['id']}")).json()
    assert stored["state_type"] == "RUNNING"
    assert stored["end_time"] is None


async def test_state_history_is_oldest_first(api: httpx.AsyncClient) -> None:
    run = await new_run(api, await new_flow(api))
    for type_ in ("RUNNING", "PAUSED", "RUNNING", "FAILED"):
        assert (await propose(api, run["id"], type_)).json()["status"] == "ACCEPT"

    states = await history(api, run["id"])

    assert [s["type"] for s in states] == ["PENDING", "RUNNING", "PAUSED", "RUNNING", "FAILED"]
    stamps = [dt.datetime.fromisoformat(s["timestamp"]) for s in states]
    assert stamps == sorted(stamps)
    assert states[-1]["id"] == (await api.get(f"/flow_runs/{run['id']}")).json()["state"]["id"]


async def test_state_timestamp_from_the_proposal_is_kept(api: httpx.AsyncClient) -> None:
    run = await new_run(api, await new_flow(api))
    at = dt.datetime(2024, 3, 1, 8, 30, tzinfo=dt.UTC)

    await propose(api, run["id"], "RUNNING", timestamp=at.isoformat())

    stored = (await api.get(f"/flow_runs/{run['id']}")).json()
    assert dt.datetime.fromisoformat(stored["start_time"]) == at
    assert dt.datetime.fromisoformat(stored["state"]["timestamp"]) == at


# --- retries -----------------------------------------------------------------------


async def test_failed_flow_run_with_retries_is_rescheduled_then_fails(
    api: httpx.AsyncClient,
) -> None:
    run = await new_run(api, await new_flow(api), empirical_policy={"retries": 2, "retry_delay": 0})
    run_id = run["id"]
    seen = []
    for attempt in (1, 2, 3):
        started = await propose(api, run_id, "RUNNING")
        assert started.json()["status"] == "ACCEPT"
        assert (await api.get(f"/flow_runs/{run_id}")).json()["run_count"] == attempt
        failed = await propose(api, run_id, "FAILED", message=f"boom {attempt}")
        assert failed.status_code == 201
        assert failed.json()["status"] == "ACCEPT"
        seen.append((failed.json()["state"]["type"], failed.json()["state"]["name"]))
        if failed.json()["state"]["type"] == "SCHEDULED":
            details = failed.json()["state"]["state_details"]
            assert details["scheduled_time"] is not None
            assert failed.json()["state"]["message"] == f"boom {attempt}"

    assert seen == [
        ("SCHEDULED", "AwaitingRetry"),
        ("SCHEDULED", "AwaitingRetry"),
        ("FAILED", "Failed"),
    ]
    stored = (await api.get(f"/flow_runs/{run_id}")).json()
    assert stored["state_type"] == "FAILED"
    assert stored["run_count"] == 3
    assert [s["name"] for s in await history(api, run_id)] == [
        "Pending",
        "Running",
        "AwaitingRetry",
        "Running",
        "AwaitingRetry",
        "Running",
        "Failed",
    ]


async def test_flow_run_without_retries_fails_at_once(api: httpx.AsyncClient) -> None:
    run = await new_run(api, await new_flow(api))
    await propose(api, run["id"], "RUNNING")

    failed = await propose(api, run["id"], "FAILED")

    assert failed.json()["status"] == "ACCEPT"
    assert failed.json()["state"]["type"] == "FAILED"


async def test_retry_delay_sets_the_next_scheduled_time(api: httpx.AsyncClient) -> None:
    run = await new_run(
        api, await new_flow(api), empirical_policy={"retries": 1, "retry_delay": 600}
    )
    await propose(api, run["id"], "RUNNING")

    failed = await propose(api, run["id"], "FAILED")
    too_soon = await propose(api, run["id"], "RUNNING")

    state = failed.json()["state"]
    scheduled = dt.datetime.fromisoformat(state["state_details"]["scheduled_time"])
    delay = scheduled - dt.datetime.fromisoformat(state["timestamp"])
    assert state["name"] == "AwaitingRetry"
    assert delay == dt.timedelta(seconds=600)
    assert too_soon.json()["status"] == "WAIT"
    stored = (await api.get(f"/flow_runs/{run['id']}")).json()
    assert dt.datetime.fromisoformat(stored["next_scheduled_start_time"]) == scheduled


# Any JSON value, numbers included (SQLite once stored those as numbers it could not read).
STATE_DATA = [5, -2, 1.5, 1.0, 3e-7, "5", "", True, False, [1, "a"], {"a": {"b": 1}}]


async def test_state_data_of_any_json_value_is_kept_and_the_run_stays_usable(
    api: httpx.AsyncClient,
) -> None:
    run = await new_run(api, await new_flow(api))

    answers = [
        await propose(api, run["id"], "RUNNING", force=True, data=data) for data in STATE_DATA
    ]
    read = await api.get(f"/flow_runs/{run['id']}")
    completed = await propose(api, run["id"], "COMPLETED", data=7)

    assert [a.status_code for a in answers] == [201] * len(STATE_DATA)
    stored = [state["data"] for state in await history(api, run["id"])]
    assert stored[1:-1] == STATE_DATA
    assert [type(value) for value in stored[1:-1]] == [type(value) for value in STATE_DATA]
    assert read.status_code == 200, read.text
    assert read.json()["state"]["data"] == STATE_DATA[-1]
    assert completed.status_code == 201, completed.text
    assert (await api.get(f"/flow_runs/{run['id']}")).json()["state"]["data"] == 7


async def test_state_data_beyond_64_bit_integers_is_kept(api: httpx.AsyncClient) -> None:
    run = await new_run(api, await new_flow(api))

    answer = await propose(api, run["id"], "RUNNING", data={"big": 10**20, "n": [-(2**70)]})

    assert answer.status_code == 201, answer.text
    data = (await history(api, run["id"]))[-1]["data"]
    assert data == {"big": 10**20, "n": [-(2**70)]}
    assert type(data["big"]) is int


async def test_create_and_set_state_answer_the_documented_json(api: httpx.AsyncClient) -> None:
    # Both routes write their answer themselves; it must be what the schema says.
    created = await new_run(api, await new_flow(api))
    read = (await api.get(f"/flow_runs/{created['id']}")).json()
    accepted = await propose(api, created["id"], "RUNNING")
    refused = await propose(api, created["id"], "RUNNING")
    paths = (await api.get("/openapi.json")).json()["paths"]

    assert created == read
    assert accepted.status_code == 201
    assert accepted.headers["content-type"] == "application/json"
    assert accepted.json()["state"]["state_details"]["flow_run_id"] == created["id"]
    assert refused.status_code == 200
    assert set(refused.json()) == {"state", "status", "details"}
    create_schema = paths["/api/flow_runs/"]["post"]["responses"]["201"]["content"]
    set_schema = paths["/api/flow_runs/{id}/set_state"]["post"]["responses"]["201"]["content"]
    assert create_schema["application/json"]["schema"] == {"$ref": "#/components/schemas/FlowRun"}
    assert set_schema["application/json"]["schema"] == {
        "$ref": "#/components/schemas/OrchestrationResult"
    }
