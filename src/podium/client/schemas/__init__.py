"""Prefect's ``prefect.client.schemas`` import paths, for code moved to Podium.

Podium keeps one contract, :mod:`podium.schemas`, for client and server.
These modules only give its classes the names and paths Prefect 3 code
imports them by (``from prefect.client.schemas.filters import
FlowRunFilterId`` becomes ``from podium.client.schemas.filters import
FlowRunFilterId``); they define nothing new.
"""

from podium.schemas.core import Flow, FlowRun, FlowRunPolicy, Log, TaskRun, TaskRunPolicy
from podium.schemas.states import State, StateDetails, StateType

__all__ = [
    "Flow",
    "FlowRun",
    "FlowRunPolicy",
    "Log",
    "State",
    "StateDetails",
    "StateType",
    "TaskRun",
    "TaskRunPolicy",
]
