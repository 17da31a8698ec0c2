"""The task runner interface: what ``Task.submit`` hands a task run to."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import Any, Self

from podium.futures import PodiumFuture

__all__ = ["TaskRunner"]


class TaskRunner(abc.ABC):
    """Runs submitted task runs concurrently; a flow run enters its own copy."""

    @property
    def name(self) -> str:
        """A short name for logs."""
        return type(self).__name__.removesuffix("TaskRunner").lower() or "task-runner"

    @abc.abstractmethod
    def duplicate(self) -> Self:
        """A fresh, unstarted runner with the same options (one per flow run)."""

    @abc.abstractmethod
    def submit(
        self, task: Any, parameters: dict[str, Any], wait_for: Any = None, **identity: Any
    ) -> PodiumFuture[Any]:
        """Start a run of ``task`` with ``parameters``; return its future at once."""

    def submit_many(
        self,
        task: Any,
        calls: Sequence[dict[str, Any]],
        wait_for: Any,
        flow_ctx: Any,
        identities: Sequence[tuple[str, int]],
    ) -> list[PodiumFuture[Any]]:
        """Start one run per parameter dict in ``calls`` (a ``.map``), with the dynamic
        key and index in ``identities`` at the same place; return their futures in order."""
        return [
            self.submit(task, parameters, wait_for, flow_ctx=flow_ctx, dynamic_key=key, index=index)
            for parameters, (key, index) in zip(calls, identities, strict=True)
        ]

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:  # noqa: B027 - optional to override
        """Wait for every submitted run to finish."""
