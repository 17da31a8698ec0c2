"""Read-only views of the run in progress: ``flow_run``, ``task_run``, ``deployment``.

Each attribute is looked up when read (``from podium import runtime;
runtime.flow_run.id``) and is ``None`` (or empty) outside a run.
"""

from podium.runtime import deployment, flow_run, task_run

__all__ = ["deployment", "flow_run", "task_run"]
