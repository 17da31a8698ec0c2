"""Podium: workflow orchestration for resilient Python data pipelines.

``import podium`` is cheap: the names below are loaded on first use (PEP 562), so the
server, the database layer and pydantic are not imported until something needs them.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from podium._gc import long_lived
from podium._version import __version__

if TYPE_CHECKING:
    from podium import runtime
    from podium.annotations import allow_failure, unmapped
    from podium.client import get_client
    from podium.context import tags
    from podium.deployments import deploy, serve
    from podium.flows import Flow, flow
    from podium.logging import get_run_logger
    from podium.states import State
    from podium.tasks import Task, task

__all__ = [
    "Flow",
    "State",
    "Task",
    "__version__",
    "allow_failure",
    "deploy",
    "flow",
    "get_client",
    "get_run_logger",
    "runtime",
    "serve",
    "tags",
    "task",
    "unmapped",
]

_LAZY: dict[str, tuple[str, str | None]] = {
    "Flow": ("podium.flows", "Flow"),
    "State": ("podium.states", "State"),
    "Task": ("podium.tasks", "Task"),
    "allow_failure": ("podium.annotations", "allow_failure"),
    "deploy": ("podium.deployments", "deploy"),
    "flow": ("podium.flows", "flow"),
    "get_client": ("podium.client", "get_client"),
    "get_run_logger": ("podium.logging", "get_run_logger"),
    "runtime": ("podium.runtime", None),
    "serve": ("podium.deployments", "serve"),
    "tags": ("podium.context", "tags"),
    "task": ("podium.tasks", "task"),
    "unmapped": ("podium.annotations", "unmapped"),
}


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'podium' has no attribute {name!r}")
    # Loading a room of the SDK makes objects that live as long as the process:
    # made with the cyclic collector paused, then frozen (see podium._gc).
    with long_lived():
        module = import_module(target[0])
    value = module if target[1] is None else getattr(module, target[1])
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
