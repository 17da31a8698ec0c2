"""The process worker: runs each flow run as a subprocess of the worker.

Start it with ``podium worker start --pool NAME`` (``--type process`` is the default).
Job variables of a process pool (its default base job template):

=================  ====================================================================
``command``        the command that runs the flow run (default:
                   ``python -m podium.runner._execute``; the run's id is in
                   ``PODIUM__FLOW_RUN_ID``)
``env``            environment variables added to the worker's (a value ``null``
                   removes one)
``working_dir``    the directory the process starts in (default: the deployment's
                   ``path``, else the worker's working directory)
``stream_output``  show the process's output in the worker's (default ``true``)
``labels``         labels of the job
``name``           a name for the job (default: the flow run's name)
=================  ====================================================================
"""

from __future__ import annotations

import builtins
import os
import shlex
import signal
import threading
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from podium.runner import flow_run_command
from podium.runner._supervisor import FLOW_RUN_ID_ENV, ProcessSupervisor
from podium.schemas.core import FlowRun
from podium.workers.base import BaseJobConfiguration, BaseWorker

__all__ = ["PROCESS_BASE_JOB_TEMPLATE", "ProcessJobConfiguration", "ProcessWorker"]

PROCESS_BASE_JOB_TEMPLATE: dict[str, Any] = {
    "job_configuration": {
        "command": "{{ command }}",
        "env": "{{ env }}",
        "labels": "{{ labels }}",
        "name": "{{ name }}",
        "stream_output": "{{ stream_output }}",
        "working_dir": "{{ working_dir }}",
    },
    "variables": {
        "type": "object",
        "properties": {
            "name": {
                "title": "Name",
                "type": "string",
                "description": "A name for the job (default: the flow run's name).",
            },
            "env": {
                "title": "Environment Variables",
                "type": "object",
                "additionalProperties": {"type": ["string", "null"]},
                "description": "Environment variables for the flow run's process.",
            },
            "labels": {
                "title": "Labels",
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "Labels of the job.",
            },
            "command": {
                "title": "Command",
                "type": "string",
                "description": "The command that starts the flow run; usually left empty.",
            },
            "stream_output": {
                "title": "Stream Output",
                "type": "boolean",
                "default": True,
                "description": "Show the flow run's output in the worker's.",
            },
            "working_dir": {
                "title": "Working Directory",
                "type": "string",
                "format": "path",
                "description": "The directory the flow run's process starts in.",
            },
        },
    },
}


class ProcessJobConfiguration(BaseJobConfiguration):
    """How a process worker starts one flow run."""

    stream_output: bool = True
    working_dir: Path | None = Field(default=None)


class ProcessWorker(BaseWorker):
    """Runs flow runs as subprocesses; see the module docstring for its job variables.

    ``grace_seconds``: how long a process may take to stop after SIGTERM (cancellation
    or shutdown) before it is killed.
    """

    type: ClassVar[str] = "process"
    job_configuration: ClassVar[builtins.type[BaseJobConfiguration]] = ProcessJobConfiguration
    _default_base_job_template: ClassVar[dict[str, Any]] = PROCESS_BASE_JOB_TEMPLATE

    def __init__(self, *args: Any, grace_seconds: float = 10.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.grace_seconds = grace_seconds
        self.supervisor: ProcessSupervisor | None = None
        self._previous_handlers: dict[signal.Signals, Any] = {}

    def setup(self, client: Any) -> None:
        self.supervisor = ProcessSupervisor(
            client, owner=f"worker {self.name!r}", grace_seconds=self.grace_seconds
        )
        super().setup(client)

    def claim(self, flow_run: FlowRun) -> bool:
        assert self.supervisor is not None
        return self.supervisor.claim(flow_run.id)

    def active_runs(self) -> int:
        return 0 if self.supervisor is None else len(self.supervisor)

    def wait_for_change(self, timeout: float) -> None:
        assert self.supervisor is not None
        self.supervisor.changed.clear()
        self.supervisor.changed.wait(timeout)

    def fail_start(self, flow_run: FlowRun, message: str) -> None:
        assert self.supervisor is not None
        self.supervisor.fail_start(flow_run.id, message)

    def run(self, flow_run: FlowRun, configuration: BaseJobConfiguration) -> None:
        assert self.supervisor is not None and isinstance(configuration, ProcessJobConfiguration)
        command = shlex.split(configuration.command) if configuration.command else None
        env = {**os.environ}
        for key, value in configuration.env.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = str(value)
        env[FLOW_RUN_ID_ENV] = str(flow_run.id)
        cwd = configuration.working_dir or self._deployment_path(flow_run)
        if cwd is not None and not Path(cwd).is_dir():
            self.fail_start(flow_run, f"working_dir {str(cwd)!r} is not a directory.")
            return
        self.supervisor.start(
            flow_run.id,
            command or flow_run_command(),
            env=env,
            cwd=cwd,
            stream_output=configuration.stream_output,
        )

    def _deployment_path(self, flow_run: FlowRun) -> str | None:
        if flow_run.deployment_id is None or self.client is None:
            return None
        path = self.client.read_deployment(flow_run.deployment_id).path
        return path if path and Path(path).is_dir() else None

    def shutdown(self) -> None:
        if self.supervisor is not None:
            self.supervisor.shutdown(
                f"Worker {self.name!r} stopped while the flow run was running."
            )

    def start(self) -> None:
        """Run until SIGINT, SIGTERM or :meth:`stop`."""
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous_handlers[sig] = signal.signal(sig, lambda *_: self.stop())
        try:
            super().start()
        finally:
            for sig, handler in self._previous_handlers.items():
                signal.signal(sig, handler)
