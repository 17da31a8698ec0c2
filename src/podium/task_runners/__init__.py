"""Task runners: how ``submit`` and ``map`` run task runs concurrently."""

from podium.task_runners._base import TaskRunner
from podium.task_runners._processes import ProcessPoolTaskRunner
from podium.task_runners._threads import ThreadPoolTaskRunner

__all__ = ["ProcessPoolTaskRunner", "TaskRunner", "ThreadPoolTaskRunner"]
