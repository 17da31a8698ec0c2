"""``podium server start`` as a real process, driven by the client and the CLI over HTTP.

Runs once on SQLite and once on PostgreSQL (a fresh database).
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from podium.client import get_client
from podium.schemas.actions import LogCreate
from podium.schemas.filters import FilterIds, LogFilter
from podium.schemas.states import StateCreate, StateType
from podium.settings import clear_settings_cache

pytestmark = pytest.mark.e2e


def test_server_round_trip(
    start_server: Callable[..., Any],
    run_cli: Callable[..., Any],
    client_env: Callable[..., Any],
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = start_server(PODIUM_DATABASE_URL=database_url)
    assert "is running at http://127.0.0.1:" in server.log()

    # The client, over HTTP.
    monkeypatch.setenv("PODIUM_API_URL", server.api_url)
    clear_settings_cache()
    with get_client(sync_client=True) as client:
        assert client.api_healthcheck() is None
        flow_id = client.create_flow("e2e-flow")
        done = client.create_flow_run("e2e-flow", parameters={"n": 1})
        failed = client.create_flow_run("e2e-flow")
        for run_id, final in ((done.id, StateType.COMPLETED), (failed.id, StateType.FAILED)):
            client.set_flow_run_state(run_id, StateCreate(type=StateType.RUNNING))
            result = client.set_flow_run_state(run_id, StateCreate(type=final))
            assert result.state is not None and result.state.type == final
        task = client.create_task_run(task_key="step", flow_run_id=done.id, name="step-0")
        client.create_logs(
            [
                LogCreate(
                    name="podium.task_runs",
                    level=20,
                    message="hello from a task",
                    timestamp=task.created or done.created,
                    flow_run_id=done.id,
                    task_run_id=task.id,
                )
            ]
        )
        assert client.read_flow_run(done.id).state_type == StateType.COMPLETED
        assert [s.type for s in client.read_flow_run_states(failed.id)] == [
            StateType.PENDING,
            StateType.RUNNING,
            StateType.FAILED,
        ]
        assert client.read_flow(flow_id).name == "e2e-flow"
        logs = client.read_logs(LogFilter(flow_run_id=FilterIds(any_=[done.id])))
        assert [log.message for log in logs] == ["hello from a task"]

    # The CLI, as a process, over HTTP.
    env = client_env(server.api_url)
    listed = run_cli("flow-run", "ls", "--flow-name", "e2e-flow", "--output", "json", env=env)
    assert listed.returncode == 0, listed.stderr
    runs = {item["id"]: item for item in json.loads(listed.stdout)}
    assert set(runs) == {str(done.id), str(failed.id)}
    assert runs[str(done.id)]["state_type"] == "COMPLETED"
    assert runs[str(failed.id)]["state_type"] == "FAILED"

    inspected = run_cli("flow-run", "inspect", str(done.id), "-o", "json", env=env)
    assert inspected.returncode == 0, inspected.stderr
    data = json.loads(inspected.stdout)
    assert [s["type"] for s in data["state_history"]] == ["PENDING", "RUNNING", "COMPLETED"]
    assert data["task_runs"]["count"] == 1

    missing = run_cli("flow-run", "inspect", str(uuid.uuid4()), env=env)
    assert missing.returncode == 1
    assert "not found" in missing.stderr
    assert "Traceback" not in missing.stderr

    # SIGTERM stops the server gracefully.
    assert server.stop() == 0
    assert "Podium server stopped." in server.log()


def test_cli_reports_an_unreachable_server(
    run_cli: Callable[..., Any], client_env: Callable[..., Any]
) -> None:
    env = client_env("http://127.0.0.1:9/api", PODIUM_API_REQUEST_RETRIES="0")
    result = run_cli("flow-run", "ls", env=env)
    assert result.returncode == 1
    assert "Could not reach the Podium API" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_server_runs_its_loop_services(
    start_server: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The loop services start once the server listens: a run left Scheduled past its
    # time is marked Late by one of them.
    server = start_server(PODIUM_SERVICES_LOOP_SECONDS="0.2", PODIUM_LATE_RUNS_AFTER_SECONDS="0")
    monkeypatch.setenv("PODIUM_API_URL", server.api_url)
    clear_settings_cache()
    with get_client(sync_client=True) as client:
        past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
        run = client.create_flow_run(
            "late-flow",
            state=StateCreate(type=StateType.SCHEDULED, state_details={"scheduled_time": past}),
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            state = client.read_flow_run(run.id).state
            if state is not None and state.name == "Late":
                break
            time.sleep(0.1)
    assert state is not None and state.name == "Late", state


def test_a_long_poll_in_progress_does_not_hold_up_the_server_stopping(
    start_server: Callable[..., Any],
) -> None:
    # A worker waiting for runs (a long poll) when the server is asked to stop: the
    # poll answers at once (nothing due), and the server exits without waiting for
    # the rest of the poll's wait, as it did for a poll whose worker had died.
    import threading

    import httpx

    server = start_server()
    with httpx.Client(timeout=30) as http:
        assert http.post(f"{server.api_url}/work_pools/", json={"name": "pool"}).status_code == 201
    answers: list[httpx.Response] = []

    def poll() -> None:
        with httpx.Client(timeout=30) as http:
            answers.append(
                http.post(
                    f"{server.api_url}/work_pools/pool/get_scheduled_flow_runs",
                    json={"wait_seconds": 20},
                )
            )

    poller = threading.Thread(target=poll)
    poller.start()
    time.sleep(1.0)  # the poll is waiting on the server
    started = time.monotonic()
    assert server.stop() == 0
    stopped_in = time.monotonic() - started
    poller.join(timeout=30)

    assert stopped_in < 5, f"the server took {stopped_in:.1f}s to stop:\n{server.log()}"
    assert [(a.status_code, a.json()) for a in answers] == [(200, [])]
