"""Logging: run loggers, print capture, and shipping run logs to the API."""

from podium.logging._loggers import (
    PodiumLogAdapter,
    flow_run_logger,
    get_logger,
    get_run_logger,
    setup_logging,
    task_run_logger,
)
from podium.logging._prints import capture_prints, print_as_log, print_capture_logger
from podium.logging._shipper import flush_logs

__all__ = [
    "PodiumLogAdapter",
    "capture_prints",
    "flow_run_logger",
    "flush_logs",
    "get_logger",
    "get_run_logger",
    "print_as_log",
    "print_capture_logger",
    "setup_logging",
    "task_run_logger",
]
