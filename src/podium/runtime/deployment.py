"""The deployment of the current flow run: ``podium.runtime.deployment.<attribute>``.

Attributes: ``id``, ``name``, ``parameters``, ``version``. ``None`` (``{}`` for
``parameters``) outside a run and for a flow run not created from a deployment.
``name`` and ``version`` are read from the API once per flow run.
"""

from __future__ import annotations

from typing import Any

from podium.context import FlowRunContext, TaskRunContext
from podium.engine._api import engine_client

_ATTRIBUTES = ("id", "name", "parameters", "version")
__all__ = list(_ATTRIBUTES)  # looked up by __getattr__

_read: dict[Any, Any] = {}


def _flow_run() -> Any:
    ctx = FlowRunContext.get()
    if ctx is None:
        task_ctx = TaskRunContext.get()
        ctx = task_ctx.flow_run_context if task_ctx is not None else None
    return ctx.flow_run if ctx is not None else None


def _deployment(deployment_id: Any) -> Any:
    if deployment_id not in _read:
        reader = getattr(engine_client(), "read_deployment", None)
        try:
            _read[deployment_id] = reader(deployment_id) if reader is not None else None
        except Exception:
            _read[deployment_id] = None
    return _read[deployment_id]


def __getattr__(name: str) -> Any:
    if name not in _ATTRIBUTES:
        raise AttributeError(f"podium.runtime.deployment has no attribute {name!r}")
    flow_run = _flow_run()
    deployment_id = getattr(flow_run, "deployment_id", None)
    if deployment_id is None:
        return {} if name == "parameters" else None
    if name == "id":
        return deployment_id
    if name == "parameters":
        return dict(flow_run.parameters)
    return getattr(_deployment(deployment_id), name, None)


def __dir__() -> list[str]:
    return sorted(__all__)
