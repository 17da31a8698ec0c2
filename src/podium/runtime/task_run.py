"""The current task run: ``podium.runtime.task_run.<attribute>``.

Attributes: ``id``, ``name``, ``task_name``, ``run_count``, ``parameters``, ``tags``.
Outside a task run, ``parameters`` is ``{}``, ``tags`` is ``[]``, ``run_count`` is ``0``
and the others are ``None``.
"""

from __future__ import annotations

from typing import Any

from podium.context import TaskRunContext

_GETTERS: dict[str, Any] = {
    "id": lambda ctx: ctx.task_run.id,
    "name": lambda ctx: ctx.task_run.name,
    "task_name": lambda ctx: ctx.task.name,
    "run_count": lambda ctx: ctx.task_run.run_count,
    "parameters": lambda ctx: dict(ctx.parameters),
    "tags": lambda ctx: list(ctx.task_run.tags),
}
_OUTSIDE: dict[str, Any] = {"parameters": {}, "tags": [], "run_count": 0}

__all__ = list(_GETTERS)  # the attributes, looked up by __getattr__


def __getattr__(name: str) -> Any:
    getter = _GETTERS.get(name)
    if getter is None:
        raise AttributeError(f"podium.runtime.task_run has no attribute {name!r}")
    ctx = TaskRunContext.get()
    if ctx is None:
        value = _OUTSIDE.get(name)
        return value.copy() if isinstance(value, dict | list) else value
    return getter(ctx)


def __dir__() -> list[str]:
    return sorted(__all__)
