"""Run an existing flow run in this process: ``python -m podium.runner._execute [ID]``.

This is what a runner (``serve``) or a worker starts for each flow run. The run's id
comes from the argument or ``PODIUM__FLOW_RUN_ID``; the flow is loaded from its
deployment's ``entrypoint`` (``path/to/file.py:flow_name`` relative to the working
directory, or ``package.module:flow_name``), and run by the engine, which moves the run
to Running, sends heartbeats and proposes its final state. Exit code 0 when the run
Completed, 1 otherwise.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import importlib.util
import os
import sys
from pathlib import Path
from typing import Any
from uuid import UUID

from podium.engine._api import engine_client
from podium.engine._flow_run import FlowRunSteps
from podium.engine.flow_engine import run_flow_async, run_flow_sync
from podium.exceptions import ParameterBindError, TerminationSignal
from podium.flows import Flow
from podium.logging import flow_run_logger, setup_logging
from podium.runner._supervisor import FLOW_RUN_ID_ENV
from podium.schemas.core import FlowRunPolicy
from podium.states import Failed, State

__all__ = ["ExistingFlowRunSteps", "execute_flow_run", "load_flow_from_entrypoint"]


def load_flow_from_entrypoint(entrypoint: str) -> Flow[..., Any]:
    """The flow an entrypoint names: ``path/to/file.py:name`` or ``package.module:name``.

    Raises:
        ValueError: the entrypoint is malformed, or names something that is not a flow.
        FileNotFoundError, ImportError: the file or module cannot be loaded.
    """
    where, sep, name = entrypoint.rpartition(":")
    if not sep or not where or not name:
        raise ValueError(
            f"Invalid entrypoint {entrypoint!r}: expected 'path/to/file.py:flow_name' or "
            "'package.module:flow_name'."
        )
    if where.endswith(".py") or os.sep in where or "/" in where:
        path = Path(where).expanduser().resolve()
        if not path.is_file():
            raise FileNotFoundError(f"Entrypoint file {str(path)!r} does not exist.")
        digest = hashlib.sha1(str(path).encode()).hexdigest()[:8]
        module_name = f"__podium_flow_{path.stem}_{digest}"
        spec = importlib.util.spec_from_file_location(module_name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        if str(path.parent) not in sys.path:
            sys.path.insert(0, str(path.parent))
        spec.loader.exec_module(module)
    else:
        module = importlib.import_module(where)
    found = getattr(module, name, None)
    if not isinstance(found, Flow):
        what = "nothing" if found is None else f"a {type(found).__name__}"
        raise ValueError(f"Entrypoint {entrypoint!r} names {what}, not a flow.")
    return found


class ExistingFlowRunSteps(FlowRunSteps):
    """The engine's steps for a flow run that already exists (made by a deployment)."""

    def __init__(self, flow: Any, flow_run: Any, client: Any) -> None:
        super().__init__(flow, dict(flow_run.parameters), None, None, client)
        self.existing = flow_run

    def begin(self) -> State[Any] | None:
        run = self.flow_run = self.existing
        self.logger = flow_run_logger(run, self.flow)
        policy = FlowRunPolicy(retries=self.flow.retries, retry_delay=self.flow.retry_delay_seconds)
        if (run.empirical_policy.retries, run.empirical_policy.retry_delay) != (
            policy.retries,
            policy.retry_delay,
        ):
            # the flow's retries apply to runs of its deployments (crashes included)
            self.client.update_flow_run(run.id, empirical_policy=policy)
        try:
            self.parameters = self.flow._bind((), dict(run.parameters))
        except (ParameterBindError, TypeError) as exc:
            self.logger.error("%s", exc)
            state = Failed(
                message=f"The flow run's parameters do not fit flow {self.flow.name!r}: {exc}",
                state_details={"retriable": False},
            )
            return self._propose_final(state) or state
        return self._validate() or self._enter_running()


def execute_flow_run(flow_run_id: UUID) -> State[Any]:
    """Load the flow of ``flow_run_id`` from its deployment and run it to a final state."""
    setup_logging()
    client = engine_client()
    flow_run = client.read_flow_run(flow_run_id)
    if flow_run.deployment_id is None:
        raise ValueError(f"Flow run {flow_run_id} has no deployment to load its flow from.")
    deployment = client.read_deployment(flow_run.deployment_id)
    if not deployment.entrypoint:
        raise ValueError(f"Deployment {deployment.name!r} has no entrypoint.")
    try:
        flow = load_flow_from_entrypoint(_located(deployment.entrypoint, deployment.path))
    except Exception as exc:
        message = f"Could not load the flow from entrypoint {deployment.entrypoint!r}: {exc}"
        client.set_flow_run_state(
            flow_run_id,
            Failed(message=message, state_details={"retriable": False}).to_state_create(),
        )
        raise
    steps = ExistingFlowRunSteps(flow, flow_run, client)
    if flow.isasync:
        return asyncio.run(run_flow_async(flow, steps.parameters, "state", steps=steps))
    return run_flow_sync(flow, steps.parameters, "state", steps=steps)


def _located(entrypoint: str, base: str | None) -> str:
    """A file entrypoint relative to the working directory, else to the deployment's path."""
    where, _, name = entrypoint.rpartition(":")
    if where.endswith(".py") and not os.path.isabs(where) and not os.path.exists(where) and base:
        candidate = Path(base) / where
        if candidate.exists():
            return f"{candidate}:{name}"
    return entrypoint


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    raw = args[0] if args else os.environ.get(FLOW_RUN_ID_ENV)
    if not raw:
        print(f"usage: python -m podium.runner._execute FLOW_RUN_ID (or {FLOW_RUN_ID_ENV})")
        return 2
    try:
        state = execute_flow_run(UUID(raw))
    except TerminationSignal as exc:
        # the run's state is already recorded (Crashed, or Cancelled when cancelling)
        return 128 + exc.signal
    except KeyboardInterrupt:
        return 130
    return 0 if state.is_completed() else 1


if __name__ == "__main__":
    sys.exit(main())
