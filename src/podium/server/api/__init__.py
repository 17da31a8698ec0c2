"""HTTP routers, one module per domain: parse, call the models, map errors.

The app includes the routers in the order below. They are named rather than
imported here so that an app may include the later ones only when a request
first needs them (see ``podium.server.app``): importing a router module builds
its routes and loads its models, and a short script's runs never reach the
deployment and work-pool routes.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import APIRouter

# (module in podium.server.api, router attribute), in the order the app includes them.
RouterName = tuple[str, str]

# The routes a flow or task run uses: created, moved between states, logged. A
# request is matched against the routes in this order, so the busiest come first;
# no two routers share a path, so the order changes no answer.
CORE_ROUTERS: tuple[RouterName, ...] = (
    ("flow_runs", "router"),
    ("task_runs", "router"),
    ("logs", "router"),
    ("flows", "router"),
    ("flow_runs", "states_router"),
    ("task_runs", "states_router"),
    ("admin", "router"),
)

# Everything else; always included after CORE_ROUTERS, and no path of theirs is a
# path of a core route, so including them later changes no answer.
MORE_ROUTERS: tuple[RouterName, ...] = (
    ("deployments", "router"),
    ("work_pools", "router"),
    ("work_queues", "router"),
)


def load_routers(names: tuple[RouterName, ...]) -> list[APIRouter]:
    """Import the named router modules and return their routers, in order."""
    return [getattr(import_module(f"{__name__}.{module}"), attr) for module, attr in names]


def __getattr__(name: str) -> Any:
    # ``ROUTERS`` (every router, in order) is kept for callers that want them all;
    # it is built on first use so that importing this package stays cheap.
    if name == "ROUTERS":
        routers = tuple(load_routers(CORE_ROUTERS + MORE_ROUTERS))
        globals()["ROUTERS"] = routers
        return routers
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["CORE_ROUTERS", "MORE_ROUTERS", "ROUTERS", "load_routers"]
