"""The import switch shared by every workload script.

``FRAMEWORK`` in the environment picks what ``flow`` and ``task`` are:

* ``podium``  -> ``from podium import flow, task``
* ``prefect`` -> ``from prefect import flow, task``
* ``plain``   -> identity decorators: the functions run undecorated

so the workload code measured is the same text for all three. The helpers
below (thread sampling, the result line, counting recorded task runs) are the
only places where the frameworks need different code.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

FRAMEWORK = os.environ.get("FRAMEWORK", "plain")
RESULT_MARKER = "BENCH_RESULT "

if FRAMEWORK == "podium":
    from podium import flow, task
elif FRAMEWORK == "prefect":
    from prefect import flow, task
elif FRAMEWORK == "plain":

    class _Done:
        """What ``.map`` gives back without a framework: an already-finished call."""

        __slots__ = ("_value",)

        def __init__(self, value: Any) -> None:
            self._value = value

        def result(self) -> Any:
            return self._value

        def wait(self) -> None:
            return None

    def _identity(fn: Callable[..., Any] | None = None, **_options: Any) -> Any:
        def decorate(f: Callable[..., Any]) -> Callable[..., Any]:
            # the function itself, unchanged; ``.fn`` and ``.map`` are attributes
            # only, so a direct call costs exactly what the bare function costs
            f.fn = f  # type: ignore[attr-defined]
            f.map = lambda items: [_Done(f(item)) for item in items]  # type: ignore[attr-defined]
            return f

        return decorate(fn) if fn is not None else decorate

    flow = _identity
    task = _identity
else:
    raise SystemExit(f"FRAMEWORK must be podium, prefect or plain, not {FRAMEWORK!r}")


def framework_version() -> str | None:
    if FRAMEWORK == "plain":
        return None
    from importlib.metadata import version

    return version(FRAMEWORK)


def emit(result: dict[str, Any]) -> None:
    """Print the workload's result as one JSON line the runner picks up."""
    result.setdefault("framework", FRAMEWORK)
    result.setdefault("framework_version", framework_version())
    result.setdefault("python", sys.version.split()[0])
    sys.stdout.write(RESULT_MARKER + json.dumps(result) + "\n")
    sys.stdout.flush()


# --------------------------------------------------------------------------
# threads


def os_threads() -> int:
    """Threads of this process as the kernel counts them (Python's and others)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    return -1


class ThreadMonitor:
    """Samples the thread count from a background thread; keeps the peaks.

    The monitor's own thread is included in both counts while it runs.
    """

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.peak_python = 0
        self.peak_os = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-thread-monitor", daemon=True)

    def sample(self) -> None:
        self.peak_python = max(self.peak_python, threading.active_count())
        self.peak_os = max(self.peak_os, os_threads())
        self.samples += 1

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def __enter__(self) -> ThreadMonitor:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.sample()
        self._stop.set()
        self._thread.join()

    def as_dict(self) -> dict[str, int]:
        return {"peak_python": self.peak_python, "peak_os": self.peak_os, "samples": self.samples}


def timed(fn: Callable[..., Any], *args: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    value = fn(*args)
    return time.perf_counter() - t0, value


# --------------------------------------------------------------------------
# recorded task runs (frameworks only)


def current_flow_run_id() -> str | None:
    """The id of the flow run this is called from, as a string (None for plain)."""
    if FRAMEWORK == "plain":
        return None
    if FRAMEWORK == "podium":
        from podium.runtime import flow_run
    else:
        from prefect.runtime import flow_run
    return str(flow_run.id)


def sync_client() -> Any:
    """The framework's own synchronous API client (a context manager)."""
    if FRAMEWORK == "podium":
        from podium.client import get_client
    else:
        from prefect.client.orchestration import get_client
    return get_client(sync_client=True)


def _flow_run_filter(flow_run_id: str) -> Any:
    if FRAMEWORK == "prefect":
        from prefect.client.schemas.filters import FlowRunFilter
    else:
        from podium.schemas.filters import FlowRunFilter
    return FlowRunFilter(id={"any_": [flow_run_id]})


def _state_type(run: Any) -> str | None:
    state_type = getattr(run, "state_type", None)
    if state_type is None and getattr(run, "state", None) is not None:
        state_type = run.state.type
    return getattr(state_type, "value", state_type)


PAGE = 200  # both servers' default (and Prefect's maximum) page size


def count_task_runs(client: Any, flow_run_id: str) -> tuple[int, int]:
    """Task runs recorded for ``flow_run_id``: (all of them, those COMPLETED).

    One pass of ``read_task_runs`` pages (the same public call on both clients;
    Prefect's client has no ``count_task_runs``), counted by distinct id so a
    run inserted while paging is not counted twice.
    """
    flow_runs = _flow_run_filter(flow_run_id)
    states: dict[Any, str | None] = {}
    offset = 0
    while True:
        page = client.read_task_runs(flow_run_filter=flow_runs, limit=PAGE, offset=offset)
        for run in page:
            states[run.id] = _state_type(run)
        if len(page) < PAGE:
            break
        offset += PAGE
    return len(states), sum(1 for s in states.values() if s == "COMPLETED")


def settle(flow_run_id: str | None, n: int, poll: float = 0.1) -> float | None:
    """Wait until the ``n`` task runs of ``flow_run_id`` are recorded COMPLETED.

    Returns the seconds waited, or None if the cap (60 s + 0.1 s per task run)
    passed first. Timed figures
    start only after this, so work a framework defers past a flow's return
    (recording its task runs) does not land in the next figure measured.
    """
    if flow_run_id is None or n <= 0:
        return 0.0
    cap = 60.0 + 0.1 * n
    t0 = time.perf_counter()
    with sync_client() as client:
        while True:
            _, completed = count_task_runs(client, flow_run_id)
            waited = time.perf_counter() - t0
            if completed >= n:
                return waited
            if waited > cap:
                return None
            time.sleep(poll)
