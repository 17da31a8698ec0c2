"""Workers: poll a work pool and run its flow runs (the process worker runs subprocesses)."""

from podium.workers.base import BaseJobConfiguration, BaseWorker
from podium.workers.process import PROCESS_BASE_JOB_TEMPLATE, ProcessJobConfiguration, ProcessWorker

WORKER_TYPES: dict[str, type[BaseWorker]] = {"process": ProcessWorker}
"""Worker classes by work pool type."""

__all__ = [
    "PROCESS_BASE_JOB_TEMPLATE",
    "WORKER_TYPES",
    "BaseJobConfiguration",
    "BaseWorker",
    "ProcessJobConfiguration",
    "ProcessWorker",
]
