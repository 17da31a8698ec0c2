"""Deployments: make flows runnable from the API, on a schedule, by a runner or workers.

``flow.to_deployment(...)`` describes one (:class:`RunnerDeployment`); :func:`serve`
runs its runs from this process; :func:`deploy` registers it for a work pool's workers;
:func:`run_deployment` starts a run of any deployment and waits for it. A project file,
``podium.yaml``, lists deployments for ``podium deploy``
(:mod:`podium.deployments.project`).
"""

from podium.deployments._run import run_deployment
from podium.deployments._runner_deployment import (
    ConcurrencyLimitConfig,
    RunnerDeployment,
    flow_entrypoint,
)
from podium.deployments._serve import deploy, serve

__all__ = [
    "ConcurrencyLimitConfig",
    "RunnerDeployment",
    "deploy",
    "flow_entrypoint",
    "run_deployment",
    "serve",
]
