"""Loggers: Podium's own, and the run loggers that user code gets from ``get_run_logger``.

Run loggers are :class:`PodiumLogAdapter` s over ``podium.flow_runs`` and
``podium.task_runs``; they add the run's ids and names to every record, which is how
:class:`~podium.logging._shipper.APILogHandler` knows to send the record to the API and
how the console line names the run. :func:`setup_logging` configures the ``podium``
logger once (console and API handlers, level from ``PODIUM_LOGGING_LEVEL``); the engine
calls it before the first run.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import MutableMapping
from typing import Any

from podium.context import FlowRunContext, TaskRunContext
from podium.exceptions import MissingContextError
from podium.logging._shipper import APILogHandler
from podium.settings import get_settings

__all__ = [
    "PodiumLogAdapter",
    "flow_run_logger",
    "get_logger",
    "get_run_logger",
    "setup_logging",
    "task_run_logger",
]

_setup_lock = threading.Lock()
_configured = False


class PodiumLogAdapter(logging.LoggerAdapter):
    """A logger that adds its run's ids and names to every record."""

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, Any]:
        kwargs["extra"] = {**(self.extra or {}), **(kwargs.get("extra") or {})}
        return msg, kwargs

    def getChild(self, suffix: str, extra: dict[str, Any] | None = None) -> PodiumLogAdapter:
        """A child logger with the same run fields (plus ``extra``)."""
        return PodiumLogAdapter(
            self.logger.getChild(suffix), extra={**(self.extra or {}), **(extra or {})}
        )


class _ConsoleFormatter(logging.Formatter):
    """``12:00:00.123 | INFO    | Flow run 'name' - message``."""

    def __init__(self) -> None:
        super().__init__(datefmt="%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        task_run_name = getattr(record, "task_run_name", None)
        flow_run_name = getattr(record, "flow_run_name", None)
        if task_run_name is not None:
            where = f"Task run {task_run_name!r}"
        elif flow_run_name is not None:
            where = f"Flow run {flow_run_name!r}"
        else:
            where = record.name
        self._style._fmt = (
            f"%(asctime)s.%(msecs)03d | %(levelname)-7s | {where.replace('%', '%%')} - %(message)s"
        )
        return super().format(record)


def setup_logging() -> None:
    """Configure the ``podium`` logger once: console, API shipping, level."""
    global _configured
    if _configured:
        return
    with _setup_lock:
        if _configured:
            return
        root = logging.getLogger("podium")
        root.setLevel(get_settings().logging_level)
        console = logging.StreamHandler(sys.stderr)
        console.setFormatter(_ConsoleFormatter())
        root.addHandler(console)
        root.addHandler(APILogHandler())
        root.propagate = False
        _configured = True


def get_logger(name: str | None = None) -> logging.Logger:
    """Podium's logger, or its child ``podium.<name>``."""
    return logging.getLogger("podium" if not name else f"podium.{name}")


def flow_run_logger(flow_run: Any, flow: Any = None, **extra: Any) -> PodiumLogAdapter:
    """A logger whose records belong to ``flow_run`` (an object with ``id`` and ``name``)."""
    fields = {
        "flow_run_id": flow_run.id,
        "flow_run_name": flow_run.name,
        "flow_name": getattr(flow, "name", "<unknown>"),
        **extra,
    }
    return PodiumLogAdapter(logging.getLogger("podium.flow_runs"), fields)


def task_run_logger(
    task_run: Any, task: Any = None, flow_run: Any = None, flow: Any = None, **extra: Any
) -> PodiumLogAdapter:
    """A logger whose records belong to ``task_run`` (and its flow run, if any)."""
    fields = {
        "task_run_id": task_run.id,
        "flow_run_id": task_run.flow_run_id,
        "task_run_name": task_run.name,
        "task_name": getattr(task, "name", "<unknown>"),
        "flow_run_name": getattr(flow_run, "name", None),
        "flow_name": getattr(flow, "name", None),
        **extra,
    }
    return PodiumLogAdapter(logging.getLogger("podium.task_runs"), fields)


def get_run_logger(context: Any = None, **kwargs: Any) -> PodiumLogAdapter:
    """The logger of the current task run or flow run.

    Its records are shown on the console and sent to the API with the run's ids, so they
    are listed by ``podium flow-run logs <id>``.

    Args:
        context: a run context to use instead of the current one.
        **kwargs: extra fields added to every record.

    Raises:
        MissingContextError: called outside a flow run or task run.
    """
    task_ctx = context if isinstance(context, TaskRunContext) else None
    flow_ctx = context if isinstance(context, FlowRunContext) else None
    if context is None:
        task_ctx = TaskRunContext.get()
        flow_ctx = FlowRunContext.get()
    if task_ctx is not None:
        parent = task_ctx.flow_run_context
        return task_run_logger(
            task_ctx.task_run,
            task_ctx.task,
            flow_run=parent.flow_run if parent else None,
            flow=parent.flow if parent else None,
            **kwargs,
        )
    if flow_ctx is not None:
        return flow_run_logger(flow_ctx.flow_run, flow_ctx.flow, **kwargs)
    raise MissingContextError(
        "There is no active flow or task run: get_run_logger() works only inside a function "
        "decorated with @flow or @task. Outside a run, use logging.getLogger(...) instead."
    )
