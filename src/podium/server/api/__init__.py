"""HTTP routers, one module per domain: parse, call the models, map errors."""

from podium.server.api import (
    admin,
    deployments,
    flow_runs,
    flows,
    logs,
    task_runs,
    work_pools,
    work_queues,
)

ROUTERS = (
    admin.router,
    flows.router,
    flow_runs.router,
    flow_runs.states_router,
    task_runs.router,
    task_runs.states_router,
    logs.router,
    deployments.router,
    work_pools.router,
    work_queues.router,
)

__all__ = ["ROUTERS"]
