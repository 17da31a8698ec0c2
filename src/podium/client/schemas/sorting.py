"""Prefect's ``prefect.client.schemas.sorting`` names for Podium's contract."""

from podium.schemas.sorting import FlowRunSort, FlowSort, LogSort, TaskRunSort

__all__ = ["FlowRunSort", "FlowSort", "LogSort", "TaskRunSort"]
