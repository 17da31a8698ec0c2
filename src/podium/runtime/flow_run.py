"""The current flow run: ``podium.runtime.flow_run.<attribute>``.

Attributes: ``id``, ``name``, ``flow_name``, ``flow_version``, ``parameters``, ``tags``,
``scheduled_start_time``, ``run_count``, ``parent_flow_run_id``, ``parent_deployment_id``,
``deployment_id``. Inside a task, they describe the task's flow run. Outside a run,
``parameters`` is ``{}``, ``tags`` is ``[]``, ``run_count`` is ``0`` and the others are
``None``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from podium.context import FlowRunContext, TaskRunContext


def _context() -> FlowRunContext | None:
    ctx = FlowRunContext.get()
    if ctx is not None:
        return ctx
    task_ctx = TaskRunContext.get()
    return task_ctx.flow_run_context if task_ctx is not None else None


def _scheduled_start_time(ctx: FlowRunContext) -> dt.datetime:
    run = ctx.flow_run
    return run.expected_start_time or run.start_time or run.created or dt.datetime.now(dt.UTC)


def _parent_deployment_id(ctx: FlowRunContext) -> Any:
    parent = ctx.parent
    return parent.flow_run.deployment_id if parent is not None else None


_GETTERS: dict[str, Any] = {
    "id": lambda ctx: ctx.flow_run.id,
    "name": lambda ctx: ctx.flow_run.name,
    "flow_name": lambda ctx: getattr(ctx.flow, "name", None),
    "flow_version": lambda ctx: getattr(ctx.flow, "version", None),
    "parameters": lambda ctx: dict(ctx.parameters),
    "tags": lambda ctx: list(ctx.flow_run.tags),
    "scheduled_start_time": _scheduled_start_time,
    "run_count": lambda ctx: ctx.flow_run.run_count,
    "parent_flow_run_id": lambda ctx: ctx.flow_run.parent_flow_run_id,
    "parent_deployment_id": _parent_deployment_id,
    "deployment_id": lambda ctx: ctx.flow_run.deployment_id,
}
_OUTSIDE: dict[str, Any] = {"parameters": {}, "tags": [], "run_count": 0}

__all__ = list(_GETTERS)  # the attributes, looked up by __getattr__


def __getattr__(name: str) -> Any:
    getter = _GETTERS.get(name)
    if getter is None:
        raise AttributeError(f"podium.runtime.flow_run has no attribute {name!r}")
    ctx = _context()
    if ctx is None or ctx.flow_run is None:
        value = _OUTSIDE.get(name)
        return value.copy() if isinstance(value, dict | list) else value
    return getter(ctx)


def __dir__() -> list[str]:
    return sorted(__all__)
