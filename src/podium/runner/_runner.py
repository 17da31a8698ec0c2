"""The Runner: serves deployments from this process (what ``serve`` and ``flow.serve`` use).

It registers its deployments, then long-polls the API for their due runs
(``POST /deployments/get_scheduled_flow_runs`` with ``wait_seconds``), claims each
(Pending) and runs it in a subprocess (``python -m podium.runner._execute``) through a
:class:`~podium.runner._supervisor.ProcessSupervisor`, which reports crashes and ends
the processes of cancelled runs. SIGINT or SIGTERM stops it gracefully: it stops
polling, ends its processes and leaves none of its runs Pending or Running; with
``pause_on_shutdown`` it pauses its deployments' schedules too.

Without ``PODIUM_API_URL`` the runner and its subprocesses share the embedded server's
SQLite file under ``PODIUM_HOME``, and the runner runs the loop services (scheduler,
crash detection, ...) in its own embedded server.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from podium.client import SyncPodiumClient, get_client
from podium.exceptions import ServerUnavailable
from podium.runner._embedded import embedded_services
from podium.runner._supervisor import FLOW_RUN_ID_ENV, ProcessSupervisor

__all__ = ["Runner", "flow_run_command"]

logger = logging.getLogger("podium.runner")

POLL_WAIT_SECONDS = 10.0


def flow_run_command() -> list[str]:
    """The command that runs one flow run (its id in ``PODIUM__FLOW_RUN_ID``)."""
    return [sys.executable, "-m", "podium.runner._execute"]


class Runner:
    """Runs the due runs of some deployments as subprocesses of this process.

    Args:
        name: shown in logs and state messages (default: host and pid).
        limit: most flow runs running at once (``None``: no limit).
        pause_on_shutdown: pause the deployments' schedules when the runner stops.
        grace_seconds: how long a process may take to stop after SIGTERM.
    """

    def __init__(
        self,
        name: str | None = None,
        *,
        limit: int | None = None,
        pause_on_shutdown: bool = True,
        grace_seconds: float = 10.0,
    ) -> None:
        self.name = name or f"runner-{socket.gethostname()}-{os.getpid()}"
        self.limit = limit
        self.pause_on_shutdown = pause_on_shutdown
        self.grace_seconds = grace_seconds
        self.deployment_ids: list[UUID] = []
        self._deployments: list[Any] = []
        self._stop = threading.Event()
        self.client: SyncPodiumClient | None = None
        self.supervisor: ProcessSupervisor | None = None

    def add_deployment(self, deployment: Any) -> UUID:
        """Register a :class:`~podium.deployments.RunnerDeployment`; its id."""
        with get_client(sync_client=True) as client:
            deployment_id: UUID = deployment.apply(client=client)
        self.deployment_ids.append(deployment_id)
        self._deployments.append(deployment)
        return deployment_id

    def stop(self) -> None:
        """Ask the runner to stop (it finishes in :meth:`start`)."""
        self._stop.set()

    def start(self) -> None:
        """Serve until stopped (SIGINT, SIGTERM or :meth:`stop`)."""
        with _stop_on_signals(self._stop), embedded_services():
            with get_client(sync_client=True) as client:
                self.client = client
                self.supervisor = ProcessSupervisor(
                    client, owner=self.name, grace_seconds=self.grace_seconds
                )
                poller = threading.Thread(target=self._poll_loop, name="podium-runner", daemon=True)
                poller.start()
                try:
                    self._stop.wait()
                finally:
                    self._shutdown(client)

    def _shutdown(self, client: SyncPodiumClient) -> None:
        logger.info("Runner %s is stopping", self.name)
        assert self.supervisor is not None
        self.supervisor.shutdown(f"Runner {self.name} stopped while the flow run was running.")
        if self.pause_on_shutdown:
            for deployment_id in self.deployment_ids:
                try:
                    client.pause_deployment(deployment_id)
                except Exception:
                    logger.warning("Could not pause deployment %s", deployment_id, exc_info=True)

    def _poll_loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except ServerUnavailable as exc:
                logger.warning("Runner %s cannot reach the API: %s", self.name, exc)
                self._stop.wait(2.0)
            except Exception:
                logger.exception("Runner %s failed to poll for runs", self.name)
                self._stop.wait(1.0)

    def run_once(self, wait_seconds: float = POLL_WAIT_SECONDS) -> int:
        """Poll once for due runs and start what fits; how many were started."""
        client, supervisor = self.client, self.supervisor
        assert client is not None and supervisor is not None
        free = None if self.limit is None else self.limit - len(supervisor)
        if free is not None and free <= 0:
            supervisor.changed.clear()
            supervisor.changed.wait(1.0)
            return 0
        due = client.get_scheduled_flow_runs_for_deployments(
            self.deployment_ids, limit=free, wait_seconds=wait_seconds
        )
        started = 0
        for flow_run in due:
            if self._stop.is_set() or (free is not None and started >= free):
                break
            if not supervisor.claim(flow_run.id):
                continue
            env = {**os.environ, FLOW_RUN_ID_ENV: str(flow_run.id)}
            supervisor.start(flow_run.id, flow_run_command(), env=env)
            started += 1
        return started


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """In the main thread, SIGINT and SIGTERM set ``stop`` (restored afterwards)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def _handler(signum: int, frame: Any) -> None:
        logger.info("Received %s; stopping", signal.Signals(signum).name)
        stop.set()

    for sig in previous:
        signal.signal(sig, _handler)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
