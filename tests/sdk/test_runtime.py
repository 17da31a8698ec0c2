"""podium.runtime: flow_run, task_run and deployment views."""

from __future__ import annotations

from podium import flow, runtime, tags, task


def test_runtime_outside_a_run_is_none_safe():
    assert runtime.flow_run.id is None
    assert runtime.flow_run.name is None
    assert runtime.flow_run.parameters == {}
    assert runtime.flow_run.tags == []
    assert runtime.flow_run.run_count == 0
    assert runtime.task_run.id is None
    assert runtime.task_run.parameters == {}
    assert runtime.deployment.id is None
    assert runtime.deployment.name is None
    assert runtime.deployment.parameters == {}


def test_runtime_inside_flow_and_task():
    @task
    def inner(x: int) -> dict:
        return {
            "task_id": runtime.task_run.id,
            "task_name": runtime.task_run.task_name,
            "task_run_name": runtime.task_run.name,
            "task_params": runtime.task_run.parameters,
            "task_run_count": runtime.task_run.run_count,
            "flow_name_in_task": runtime.flow_run.flow_name,
        }

    @flow(name="rt-flow")
    def f(x: int) -> dict:
        with tags("tagged"):
            return {
                "id": runtime.flow_run.id,
                "name": runtime.flow_run.name,
                "flow_name": runtime.flow_run.flow_name,
                "parameters": runtime.flow_run.parameters,
                "run_count": runtime.flow_run.run_count,
                "scheduled": runtime.flow_run.scheduled_start_time,
                "parent": runtime.flow_run.parent_flow_run_id,
                "deployment": runtime.deployment.id,
                **inner(x),
            }

    state = f(3, return_state=True)
    info = state.result()
    assert info["id"] == state.state_details.flow_run_id
    assert info["flow_name"] == "rt-flow" and info["flow_name_in_task"] == "rt-flow"
    assert info["parameters"] == {"x": 3}
    assert info["run_count"] == 1
    assert info["scheduled"] is not None
    assert info["parent"] is None and info["deployment"] is None
    assert info["task_name"] == "inner" and info["task_run_name"] == "inner-0"
    assert info["task_params"] == {"x": 3} and info["task_run_count"] == 1


def test_runtime_parent_flow_run_id_and_run_count_on_retry():
    seen = []

    @flow
    def child() -> object:
        return runtime.flow_run.parent_flow_run_id

    @flow(retries=1)
    def parent() -> tuple:
        seen.append(runtime.flow_run.run_count)
        if len(seen) == 1:
            raise RuntimeError("retry")
        return runtime.flow_run.id, child()

    parent_id, childs_parent = parent()
    assert childs_parent == parent_id
    assert seen == [1, 2]
