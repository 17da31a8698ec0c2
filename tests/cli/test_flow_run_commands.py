"""``podium flow`` and ``podium flow-run`` against the embedded server."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

import pytest
from typer.testing import Result

from podium.client import get_client
from podium.exceptions import ObjectNotFound
from podium.schemas.actions import LogCreate
from podium.schemas.states import StateCreate, StateType

Invoke = Callable[..., Result]  # the ``cli`` fixture of tests/cli/conftest.py


@dataclass
class Runs:
    completed: UUID
    failed: UUID
    pending: UUID
    task_run: UUID


def _set(client, run_id: UUID, *types: StateType, message: str | None = None) -> None:
    for state_type in types:
        client.set_flow_run_state(run_id, StateCreate(type=state_type, message=message))


@pytest.fixture
def runs() -> Runs:
    """Three runs of two flows (Completed, Failed, Pending), a task run and logs."""
    start = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)
    with get_client(sync_client=True) as client:
        completed = client.create_flow_run("etl", parameters={"day": "2024-05-01"}, tags=["a"])
        failed = client.create_flow_run("etl")
        pending = client.create_flow_run("report")
        _set(client, completed.id, StateType.RUNNING, StateType.COMPLETED)
        _set(client, failed.id, StateType.RUNNING)
        _set(client, failed.id, StateType.FAILED, message="boom")
        task = client.create_task_run(
            task_key="extract", flow_run_id=completed.id, name="extract-0"
        )
        client.set_task_run_state(task.id, StateCreate(type=StateType.RUNNING))
        client.set_task_run_state(task.id, StateCreate(type=StateType.COMPLETED))
        client.create_logs(
            [
                LogCreate(
                    name="podium.flow_runs",
                    level=20,
                    message=f"flow line {i}",
                    timestamp=start + dt.timedelta(seconds=2 * i),
                    flow_run_id=completed.id,
                )
                for i in range(3)
            ]
            + [
                LogCreate(
                    name="podium.task_runs",
                    level=30,
                    message="task line",
                    timestamp=start + dt.timedelta(seconds=3),
                    flow_run_id=completed.id,
                    task_run_id=task.id,
                ),
                LogCreate(
                    name="podium.flow_runs",
                    level=40,
                    message="another run's line",
                    timestamp=start,
                    flow_run_id=failed.id,
                ),
            ]
        )
    return Runs(completed.id, failed.id, pending.id, task.id)


def _ids(cli: Invoke, *args: str) -> set[str]:
    return {item["id"] for item in json.loads(cli("flow-run", "ls", "-o", "json", *args).stdout)}


def test_flow_ls(cli: Invoke, runs: Runs) -> None:
    flows = json.loads(cli("flow", "ls", "--output", "json").stdout)
    assert sorted(flow["name"] for flow in flows) == ["etl", "report"]
    table = cli("flow", "ls").stdout
    assert "etl" in table and "report" in table
    assert len(json.loads(cli("flow", "ls", "--limit", "1", "-o", "json").stdout)) == 1


def test_flow_run_ls_json_lists_the_runs(cli: Invoke, runs: Runs) -> None:
    result = cli("flow-run", "ls", "--output", "json")
    data = json.loads(result.stdout)
    expected = {str(runs.completed), str(runs.failed), str(runs.pending)}
    assert {item["id"] for item in data} == expected
    by_id = {item["id"]: item for item in data}
    assert by_id[str(runs.completed)]["state_type"] == "COMPLETED"
    assert by_id[str(runs.completed)]["parameters"] == {"day": "2024-05-01"}
    assert result.stderr == ""


def test_flow_run_ls_table(cli: Invoke, runs: Runs) -> None:
    table = cli("flow-run", "ls").stdout
    for run_id in (runs.completed, runs.failed, runs.pending):
        assert str(run_id) in table
    for text in ("etl", "report", "Completed", "Failed", "Pending"):
        assert text in table


def test_flow_run_ls_filters(cli: Invoke, runs: Runs) -> None:
    everything = {str(runs.completed), str(runs.failed), str(runs.pending)}
    assert _ids(cli, "--flow-name", "etl") == {str(runs.completed), str(runs.failed)}
    assert _ids(cli, "--flow-name", "etl", "--flow-name", "report") == everything
    assert _ids(cli, "--flow-name", "nope") == set()
    assert _ids(cli, "--state", "COMPLETED") == {str(runs.completed)}
    assert _ids(cli, "--state", "failed", "--state", "Pending") == {
        str(runs.failed),
        str(runs.pending),
    }
    assert _ids(cli, "--state", "Completed") == {str(runs.completed)}  # a state name
    assert _ids(cli, "--state-type", "completed", "--state-type", "FAILED") == {
        str(runs.completed),
        str(runs.failed),
    }
    assert _ids(cli, "--flow-name", "etl", "--state", "PENDING") == set()
    assert len(_ids(cli, "--limit", "2")) == 2


def test_flow_run_ls_rejects_bad_input(cli: Invoke, runs: Runs) -> None:
    result = cli("flow-run", "ls", "--state", "Sleepy", code=1)
    assert "Unknown state 'Sleepy'" in result.stderr
    assert "COMPLETED" in result.stderr
    assert "--limit" in cli("flow-run", "ls", "--limit", "0", code=2).stderr
    assert "xml" in cli("flow-run", "ls", "--output", "xml", code=2).stderr


def test_flow_run_ls_without_runs(cli: Invoke) -> None:
    assert json.loads(cli("flow-run", "ls", "-o", "json").stdout) == []
    assert "No flow runs found" in cli("flow-run", "ls").stderr


def test_inspect_shows_fields_state_history_and_task_runs(cli: Invoke, runs: Runs) -> None:
    text = cli("flow-run", "inspect", str(runs.completed)).stdout
    assert str(runs.completed) in text
    assert "etl" in text
    assert '{"day": "2024-05-01"}' in text
    history = text[text.index("State history") :]
    positions = [history.index(name) for name in ("Pending", "Running", "Completed")]
    assert positions == sorted(positions)
    assert "Task runs: 1 (1 Completed)" in text
    assert "extract-0" in text

    failed = cli("flow-run", "inspect", str(runs.failed)).stdout
    assert "boom" in failed


def test_inspect_json(cli: Invoke, runs: Runs) -> None:
    data = json.loads(cli("flow-run", "inspect", str(runs.completed), "-o", "json").stdout)
    assert data["id"] == str(runs.completed)
    assert data["flow_name"] == "etl"
    assert data["state"]["type"] == "COMPLETED"
    assert [s["name"] for s in data["state_history"]] == ["Pending", "Running", "Completed"]
    assert data["task_runs"]["count"] == 1
    assert data["task_runs"]["by_state"] == {"Completed": 1}
    assert data["task_runs"]["items"][0]["id"] == str(runs.task_run)


def test_unknown_ids_exit_1_naming_the_id(cli: Invoke, runs: Runs) -> None:
    missing = str(uuid.uuid4())
    for command in ("inspect", "delete", "logs"):
        result = cli("flow-run", command, missing, code=1)
        assert f"Flow run '{missing}' not found" in result.stderr
        assert "Traceback" not in result.output
    result = cli("flow-run", "inspect", "not-a-uuid", code=2)
    assert "Invalid value for 'ID'" in result.stderr


def test_delete_removes_the_run(cli: Invoke, runs: Runs) -> None:
    result = cli("flow-run", "delete", str(runs.failed))
    assert f"Deleted flow run '{runs.failed}'" in result.stdout
    with get_client(sync_client=True) as client, pytest.raises(ObjectNotFound):
        client.read_flow_run(runs.failed)
    assert str(runs.failed) not in _ids(cli)
    assert str(runs.completed) in _ids(cli)
    cli("flow-run", "delete", str(runs.failed), code=1)


def test_logs_include_task_run_logs_in_time_order(cli: Invoke, runs: Runs) -> None:
    lines = cli("flow-run", "logs", str(runs.completed)).stdout.splitlines()
    assert [line.rsplit(" - ", 1)[1] for line in lines] == [
        "flow line 0",
        "flow line 1",
        "task line",
        "flow line 2",
    ]
    assert lines[0] == "2024-05-01 12:00:00.000 | INFO     | podium.flow_runs - flow line 0"
    assert lines[2] == "2024-05-01 12:00:03.000 | WARNING  | podium.task_runs - task line"


def test_logs_head_and_tail(cli: Invoke, runs: Runs) -> None:
    run = str(runs.completed)
    head = cli("flow-run", "logs", run, "--head", "2").stdout.splitlines()
    assert [line.rsplit(" - ", 1)[1] for line in head] == ["flow line 0", "flow line 1"]
    tail = cli("flow-run", "logs", run, "--tail", "2").stdout.splitlines()
    assert [line.rsplit(" - ", 1)[1] for line in tail] == ["task line", "flow line 2"]
    assert len(cli("flow-run", "logs", run, "--tail", "50").stdout.splitlines()) == 4
    result = cli("flow-run", "logs", run, "--head", "1", "--tail", "1", code=1)
    assert "--head or --tail, not both" in result.stderr


def test_logs_of_a_run_without_logs(cli: Invoke, runs: Runs) -> None:
    result = cli("flow-run", "logs", str(runs.pending))
    assert result.stdout == ""
    assert "has no logs" in result.stderr
