"""The API contract: every object that crosses the API, for client and server alike."""

from podium.schemas import actions, core, filters, responses, sorting, states
from podium.schemas.core import Flow, FlowRun, FlowRunPolicy, Log, TaskRun, TaskRunPolicy
from podium.schemas.states import State, StateCreate, StateDetails, StateType

__all__ = [
    "Flow",
    "FlowRun",
    "FlowRunPolicy",
    "Log",
    "State",
    "StateCreate",
    "StateDetails",
    "StateType",
    "TaskRun",
    "TaskRunPolicy",
    "actions",
    "core",
    "filters",
    "responses",
    "sorting",
    "states",
]
