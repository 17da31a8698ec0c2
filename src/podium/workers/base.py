"""The base worker: heartbeats, polling a work pool, claiming runs, job configurations.

A worker belongs to one work pool (created with the worker type's default base job
template if it does not exist). It sends a heartbeat every
``heartbeat_interval_seconds`` and long-polls the pool for due runs, so that a run
created for now starts within about a second on an idle worker. The server hands out
only what fits the pool's, queues' and deployments' concurrency limits, and at most
``limit`` minus the runs this worker is running. For each run it:

1. claims it by proposing Pending (an abort means another worker has it: skip);
2. merges the job variables (pool template defaults, deployment, flow run) and renders
   the template's job configuration, validated by the worker's configuration model;
3. hands the run and its configuration to :meth:`BaseWorker.run`, the part each kind
   of infrastructure implements.

Subclasses set ``type``, ``job_configuration`` and ``_default_base_job_template``.
"""

from __future__ import annotations

import builtins
import logging
import socket
import threading
import uuid
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from podium.client import SyncPodiumClient, get_client
from podium.exceptions import ObjectNotFound, ServerUnavailable
from podium.schemas.core import FlowRun
from podium.schemas.work_pools import WorkPool, WorkPoolCreate
from podium.settings import get_settings
from podium.workers._templates import merge_job_variables, render_job_configuration

__all__ = ["BaseJobConfiguration", "BaseWorker"]

logger = logging.getLogger("podium.workers")

POLL_WAIT_SECONDS = 10.0


class BaseJobConfiguration(BaseModel):
    """What every kind of job gets: a command, environment variables, labels, a name."""

    model_config = ConfigDict(extra="ignore")

    command: str | None = None
    env: dict[str, str | None] = Field(default_factory=dict)
    labels: dict[str, str] = Field(default_factory=dict)
    name: str | None = None


class BaseWorker:
    """Polls a work pool and runs its flow runs on some infrastructure.

    Args:
        work_pool_name: the pool to poll.
        work_queues: only these queues of the pool (default: all of them).
        name: the worker's name (default: its type and a random suffix).
        limit: most flow runs at once (``None``: no limit of its own).
        heartbeat_interval_seconds: default ``PODIUM_WORKER_HEARTBEAT_SECONDS``.
        create_pool_if_not_found: create the pool with this type's default template.
    """

    type: ClassVar[str] = "base"
    job_configuration: ClassVar[builtins.type[BaseJobConfiguration]] = BaseJobConfiguration
    _default_base_job_template: ClassVar[dict[str, Any]] = {}

    def __init__(
        self,
        work_pool_name: str,
        work_queues: list[str] | None = None,
        name: str | None = None,
        limit: int | None = None,
        heartbeat_interval_seconds: float | None = None,
        create_pool_if_not_found: bool = True,
    ) -> None:
        self.work_pool_name = work_pool_name
        self.work_queues = list(work_queues) if work_queues else None
        self.name = name or f"{type(self).__name__} {uuid.uuid4().hex[:8]}"
        self.limit = limit
        self.heartbeat_interval_seconds = (
            heartbeat_interval_seconds or get_settings().worker_heartbeat_seconds
        )
        self.create_pool_if_not_found = create_pool_if_not_found
        self.client: SyncPodiumClient | None = None
        self.work_pool: WorkPool | None = None
        self._stop = threading.Event()
        self._deployments: dict[Any, Any] = {}

    @classmethod
    def get_default_base_job_template(cls) -> dict[str, Any]:
        """The base job template a new pool of this type gets."""
        return _copy(cls._default_base_job_template)

    # --- what a kind of infrastructure implements --------------------------------------

    def claim(self, flow_run: FlowRun) -> bool:
        """Propose Pending for the run; whether this worker now owns it."""
        raise NotImplementedError

    def run(self, flow_run: FlowRun, configuration: BaseJobConfiguration) -> None:
        """Start the claimed run on the infrastructure described by ``configuration``."""
        raise NotImplementedError

    def fail_start(self, flow_run: FlowRun, message: str) -> None:
        """A claimed run that cannot be started: record why."""
        raise NotImplementedError

    def active_runs(self) -> int:
        """How many runs this worker is running now."""
        raise NotImplementedError

    def wait_for_change(self, timeout: float) -> None:
        """Block until a run ends (or ``timeout`` passes)."""
        self._stop.wait(timeout)

    def shutdown(self) -> None:
        """End the runs this worker is running and leave none Pending or Running."""

    # --- the loop -------------------------------------------------------------------

    def stop(self) -> None:
        self._stop.set()

    def setup(self, client: SyncPodiumClient) -> None:
        """Find (or create) the pool and say hello."""
        self.client = client
        try:
            self.work_pool = client.read_work_pool(self.work_pool_name)
        except ObjectNotFound:
            if not self.create_pool_if_not_found:
                raise
            logger.info("Creating work pool %r of type %r", self.work_pool_name, self.type)
            self.work_pool = client.create_work_pool(
                WorkPoolCreate(
                    name=self.work_pool_name,
                    type=self.type,
                    base_job_template=self.get_default_base_job_template(),
                )
            )
        if self.work_pool.type != self.type:
            logger.warning(
                "Work pool %r is of type %r; this worker is of type %r",
                self.work_pool_name,
                self.work_pool.type,
                self.type,
            )
        self.heartbeat()

    def heartbeat(self) -> None:
        assert self.client is not None
        self.client.send_worker_heartbeat(
            self.work_pool_name, self.name, self.heartbeat_interval_seconds
        )

    def heartbeat_loop(self) -> None:
        while not self._stop.wait(self.heartbeat_interval_seconds):
            try:
                self.heartbeat()
                assert self.client is not None
                self.work_pool = self.client.read_work_pool(self.work_pool_name)
            except Exception as exc:
                logger.warning("Worker %s heartbeat failed: %r", self.name, exc)

    def poll_loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except ServerUnavailable as exc:
                logger.warning("Worker %s cannot reach the API: %s", self.name, exc)
                self._stop.wait(2.0)
            except Exception:
                logger.exception("Worker %s failed to poll for runs", self.name)
                self._stop.wait(1.0)

    def run_once(self, wait_seconds: float = POLL_WAIT_SECONDS) -> int:
        """Poll once (long poll) and start the runs handed out; how many started."""
        assert self.client is not None
        free = None if self.limit is None else self.limit - self.active_runs()
        if free is not None and free <= 0:
            self.wait_for_change(1.0)
            return 0
        due = self.client.get_scheduled_flow_runs_for_work_pool(
            self.work_pool_name, self.work_queues, limit=free, wait_seconds=wait_seconds
        )
        started = 0
        for item in due:
            if self._stop.is_set():
                break
            started += self.submit(item.flow_run)
        return started

    def submit(self, flow_run: FlowRun) -> bool:
        """Claim one run and start it; ``False`` if another worker has it."""
        if not self.claim(flow_run):
            return False
        try:
            configuration = self.configuration_for(flow_run)
        except (ValidationError, ValueError) as exc:
            self.fail_start(flow_run, f"Invalid job configuration for this flow run: {exc}")
            return False
        except Exception as exc:
            self.fail_start(flow_run, f"Could not prepare the flow run's job: {exc!r}")
            return False
        self.run(flow_run, configuration)
        return True

    def configuration_for(self, flow_run: FlowRun) -> BaseJobConfiguration:
        """The job configuration of a run: template, deployment and run variables merged."""
        assert self.client is not None and self.work_pool is not None
        template = self.work_pool.base_job_template or self.get_default_base_job_template()
        deployment = None
        if flow_run.deployment_id is not None:
            deployment = self.client.read_deployment(flow_run.deployment_id)
        variables = merge_job_variables(
            template,
            deployment.job_variables if deployment else None,
            flow_run.job_variables,
        )
        rendered = render_job_configuration(template, variables)
        configuration = self.job_configuration.model_validate(
            {k: v for k, v in rendered.items() if v is not None}
        )
        self.prepare_for_flow_run(configuration, flow_run, deployment)
        return configuration

    def prepare_for_flow_run(
        self, configuration: BaseJobConfiguration, flow_run: FlowRun, deployment: Any
    ) -> None:
        """Fill what the run itself decides (name, labels); subclasses add more."""
        configuration.name = configuration.name or flow_run.name
        configuration.labels = {
            **configuration.labels,
            "podium.io/flow-run-id": str(flow_run.id),
            "podium.io/worker-name": self.name,
            "podium.io/host": socket.gethostname(),
        }

    def start(self) -> None:
        """Run until stopped (SIGINT, SIGTERM or :meth:`stop`); blocks."""
        with get_client(sync_client=True) as client:
            self.setup(client)
            threads = [
                threading.Thread(target=self.heartbeat_loop, name="worker-heartbeat", daemon=True),
                threading.Thread(target=self.poll_loop, name="worker-poll", daemon=True),
            ]
            for thread in threads:
                thread.start()
            logger.info("Worker %r started, polling work pool %r", self.name, self.work_pool_name)
            try:
                self._stop.wait()
            finally:
                logger.info("Worker %r stopping", self.name)
                self.shutdown()


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value
