"""Prefect 3 code that imports client schemas by Prefect's paths runs after the rename."""

from __future__ import annotations

from podium import flow, task
from podium.client.orchestration import get_client
from podium.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterId,
    FlowRunFilterState,
    FlowRunFilterStateType,
    FlowRunFilterTags,
    TaskRunFilter,
    TaskRunFilterFlowRunId,
)
from podium.client.schemas.objects import FlowRun, StateType
from podium.client.schemas.sorting import FlowRunSort


@task
def double(x: int) -> int:
    return 2 * x


@flow(flow_run_name="tagged-run")
def tagged(n: int) -> int:
    return sum(double(i) for i in range(n))


def test_prefect_style_filters_find_the_runs() -> None:
    state = tagged(3, return_state=True)
    run_id = state.state_details.flow_run_id
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                id=FlowRunFilterId(any_=[run_id]),
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.COMPLETED])),
            ),
            sort=FlowRunSort.START_TIME_DESC,
        )
        assert [r.id for r in runs] == [run_id]
        assert isinstance(runs[0], FlowRun)
        assert runs[0].name == "tagged-run"

        none = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=["absent"]))
        )
        assert none == []

        tasks = client.read_task_runs(
            task_run_filter=TaskRunFilter(flow_run_id=TaskRunFilterFlowRunId(any_=[run_id]))
        )
        assert len(tasks) == 3
        assert {t.state_type for t in tasks} == {StateType.COMPLETED}
