"""Loop services run beside the API: each a class with ``run_once()`` and an interval."""

from __future__ import annotations

from podium.server.database import Database
from podium.server.services.base import LoopService, ServiceRunner
from podium.server.services.cancellation_cleanup import CancellationCleanup
from podium.server.services.crashed_runs import CrashedRuns
from podium.server.services.late_runs import LateRuns
from podium.server.services.scheduler import Scheduler
from podium.server.services.worker_status import WorkerStatus
from podium.settings import Settings

SERVICES: tuple[type[LoopService], ...] = (
    Scheduler,
    LateRuns,
    CrashedRuns,
    CancellationCleanup,
    WorkerStatus,
)


def all_services(db: Database, settings: Settings) -> list[LoopService]:
    return [service(db, settings) for service in SERVICES]


__all__ = [
    "SERVICES",
    "CancellationCleanup",
    "CrashedRuns",
    "LateRuns",
    "LoopService",
    "Scheduler",
    "ServiceRunner",
    "WorkerStatus",
    "all_services",
]
