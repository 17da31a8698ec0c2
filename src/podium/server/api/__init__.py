"""HTTP routers, one module per domain: parse, call the models, map errors."""

from podium.server.api import admin, flow_runs, flows, logs, task_runs

ROUTERS = (
    admin.router,
    flows.router,
    flow_runs.router,
    flow_runs.states_router,
    task_runs.router,
    task_runs.states_router,
    logs.router,
)

__all__ = ["ROUTERS"]
