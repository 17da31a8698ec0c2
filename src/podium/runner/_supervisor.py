"""The processes a runner or a worker started, watched until their runs end.

:class:`ProcessSupervisor` owns flow runs from their claim (Pending) to their end:

- it starts each run's process in a session of its own (so that ending it ends the
  processes it started too) and records the pid as the run's ``infrastructure_pid``;
- every ``check_seconds`` it reads the states of all its runs in one request, and ends
  the process of a run that is Cancelling: SIGTERM, then SIGKILL after
  ``grace_seconds``; the run is then Cancelled;
- when a process exits and its run has no final state, the run is marked Crashed (with
  the exit code), or Cancelled if it was being cancelled;
- :meth:`shutdown` ends every process and leaves no run it owned Pending or Running.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

from podium.schemas.filters import FilterIds, FlowRunFilter
from podium.schemas.responses import SetStateStatus
from podium.schemas.states import StateCreate, StateType

__all__ = ["FLOW_RUN_ID_ENV", "ManagedRun", "ProcessSupervisor", "pid_alive"]

FLOW_RUN_ID_ENV = "PODIUM__FLOW_RUN_ID"
"""The environment variable that tells a flow-run process which run it runs."""

logger = logging.getLogger("podium.runner")

_UNFINISHED = {StateType.PENDING, StateType.RUNNING, StateType.CANCELLING, StateType.PAUSED}


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists and is not a zombie (Linux: /proc)."""
    stat = Path(f"/proc/{pid}/stat")
    try:
        fields = stat.read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return fields[0] != "Z"


@dataclass
class ManagedRun:
    """A flow run this supervisor owns, and its process once started."""

    flow_run_id: UUID
    process: subprocess.Popen[bytes] | None = None
    cancel_requested_at: float | None = None
    killed: bool = False
    done: threading.Event = field(default_factory=threading.Event)


class ProcessSupervisor:
    """Starts flow-run processes and watches them (see the module docstring)."""

    def __init__(
        self,
        client: Any,
        *,
        owner: str,
        check_seconds: float = 1.0,
        grace_seconds: float = 10.0,
        on_exit: Callable[[ManagedRun], None] | None = None,
    ) -> None:
        self.client = client
        self.owner = owner
        self.check_seconds = check_seconds
        self.grace_seconds = grace_seconds
        self.on_exit = on_exit
        self.runs: dict[UUID, ManagedRun] = {}
        self.changed = threading.Event()
        self._lock = threading.Lock()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._stop_watch = threading.Event()

    # --- owning runs ----------------------------------------------------------------

    def __len__(self) -> int:
        with self._lock:
            return len(self.runs)

    def claim(self, flow_run_id: UUID) -> bool:
        """Propose Pending for the run; own it if accepted (another owner: skip it)."""
        result = self.client.set_flow_run_state(
            flow_run_id, StateCreate(type=StateType.PENDING, message=f"Claimed by {self.owner}.")
        )
        if result.status != SetStateStatus.ACCEPT or result.state is None:
            reason = getattr(result.details, "reason", None)
            logger.debug("Flow run %s not claimed (%s): %s", flow_run_id, result.status, reason)
            return False
        if result.state.type != StateType.PENDING:
            logger.info(
                "Flow run %s is %s instead: %s",
                flow_run_id,
                result.state.name,
                result.state.message,
            )
            return False
        with self._lock:
            if self._stopping:
                self._unclaim(flow_run_id)
                return False
            self.runs[flow_run_id] = ManagedRun(flow_run_id)
        return True

    def _unclaim(self, flow_run_id: UUID) -> None:
        self.client.set_flow_run_state(
            flow_run_id,
            StateCreate(
                type=StateType.SCHEDULED, message=f"{self.owner} stopped before starting it."
            ),
        )

    def start(
        self,
        flow_run_id: UUID,
        command: list[str],
        *,
        env: dict[str, str],
        cwd: str | Path | None = None,
        stream_output: bool = True,
    ) -> ManagedRun:
        """Start the process of a claimed run; a start that fails crashes the run."""
        managed = self.runs[flow_run_id]
        output = None if stream_output else subprocess.DEVNULL
        try:
            managed.process = subprocess.Popen(
                command,
                env=env,
                cwd=cwd,
                stdout=output,
                stderr=output,
                start_new_session=True,
            )
        except OSError as exc:
            self._finish(managed, None, f"The flow run's process could not start: {exc}")
            return managed
        pid = managed.process.pid
        logger.info("Started flow run %s as process %d", flow_run_id, pid)
        try:
            self.client.update_flow_run(
                flow_run_id, infrastructure_pid=f"{socket.gethostname()}:{pid}"
            )
        except Exception:
            logger.warning("Could not record the pid of flow run %s", flow_run_id, exc_info=True)
        self._ensure_watching()
        return managed

    def fail_start(self, flow_run_id: UUID, message: str) -> None:
        """A claimed run whose process cannot be prepared: it crashes with ``message``."""
        managed = self.runs.get(flow_run_id) or ManagedRun(flow_run_id)
        self._finish(managed, None, message)

    # --- watching -------------------------------------------------------------------

    def _ensure_watching(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._watch, name="podium-supervisor", daemon=True
                )
                self._thread.start()

    def _watch(self) -> None:
        while not self._stop_watch.wait(self.check_seconds):
            try:
                self.check()
            except Exception:
                logger.warning("Checking flow-run processes failed", exc_info=True)

    def check(self) -> None:
        """One pass: reap ended processes, end the processes of Cancelling runs."""
        with self._lock:
            managed = [m for m in self.runs.values() if m.process is not None]
        for run in managed:
            assert run.process is not None
            code = run.process.poll()
            if code is not None:
                self._finish(run, code)
        with self._lock:
            live = [m for m in self.runs.values() if m.process is not None]
        if not live:
            return
        states = self._states([m.flow_run_id for m in live])
        for run in live:
            if states.get(run.flow_run_id) == StateType.CANCELLING:
                self._cancel(run)

    def _states(self, ids: list[UUID]) -> dict[UUID, StateType | None]:
        runs = self.client.read_flow_runs(
            flow_run_filter=FlowRunFilter(id=FilterIds(any_=ids)), limit=len(ids)
        )
        return {r.id: r.state_type for r in runs}

    def _cancel(self, run: ManagedRun) -> None:
        process = run.process
        assert process is not None
        now = time.monotonic()
        if run.cancel_requested_at is None:
            run.cancel_requested_at = now
            logger.info(
                "Flow run %s is cancelling: stopping process %d", run.flow_run_id, process.pid
            )
            _signal_group(process, signal.SIGTERM)
        elif not run.killed and now - run.cancel_requested_at >= self.grace_seconds:
            run.killed = True
            _signal_group(process, signal.SIGKILL)

    def _finish(self, run: ManagedRun, code: int | None, message: str | None = None) -> None:
        """The run's process is gone: give the run a final state if it has none."""
        with self._lock:
            if self.runs.pop(run.flow_run_id, None) is None and run.done.is_set():
                return
        try:
            current = self.client.read_flow_run(run.flow_run_id)
            state_type = current.state_type
            if state_type in _UNFINISHED:
                if state_type == StateType.CANCELLING:
                    proposal = StateCreate(
                        type=StateType.CANCELLED,
                        message=(current.state.message if current.state else None)
                        or f"Cancelled; its process was ended by {self.owner}.",
                    )
                else:
                    text = message or (
                        f"The flow run's process exited with code {code} without reporting "
                        "a final state."
                    )
                    proposal = StateCreate(type=StateType.CRASHED, message=text)
                self.client.set_flow_run_state(run.flow_run_id, proposal)
        except Exception:
            logger.warning(
                "Could not record the end of flow run %s", run.flow_run_id, exc_info=True
            )
        finally:
            run.done.set()
            self.changed.set()
            if self.on_exit is not None:
                self.on_exit(run)

    # --- stopping -------------------------------------------------------------------

    def shutdown(self, reason: str) -> None:
        """End every process (SIGTERM, SIGKILL after the grace period) and finish its run."""
        with self._lock:
            self._stopping = True
            owned = list(self.runs.values())
        for run in owned:
            if run.process is not None and run.process.poll() is None:
                _signal_group(run.process, signal.SIGTERM)
        deadline = time.monotonic() + self.grace_seconds
        for run in owned:
            if run.process is None:
                continue
            try:
                run.process.wait(timeout=max(deadline - time.monotonic(), 0.01))
            except subprocess.TimeoutExpired:
                _signal_group(run.process, signal.SIGKILL)
                run.process.wait()
        self._stop_watch.set()
        for run in owned:
            self._finish(run, run.process.returncode if run.process else None, reason)


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except (ProcessLookupError, PermissionError):
        try:
            process.send_signal(signum)
        except ProcessLookupError:
            pass
