"""Pieces the flow and task engines share: hooks, retry delays, state bookkeeping."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Sequence
from typing import Any

from podium._ids import new_uuid as new_id
from podium.states import State

__all__ = ["is_failure", "new_id", "retry_delay", "run_hooks", "run_hooks_async"]

logger = logging.getLogger("podium.engine")


def is_failure(state: State[Any]) -> bool:
    """Failed, Crashed or Cancelled."""
    return state.is_failed() or state.is_crashed() or state.is_cancelled()


def run_hooks(
    hooks: Sequence[Callable[..., Any]] | None,
    owner: Any,
    run: Any,
    state: State[Any],
    run_logger: Any,
) -> None:
    """Call each hook as ``hook(owner, run, state)``; a hook that raises is logged, not raised.

    Async hooks are not awaited here; the async engines use :func:`run_hooks_async`.
    """
    for hook in hooks or ():
        name = getattr(hook, "__name__", repr(hook))
        try:
            run_logger.info("Running hook %r in response to entering state %r", name, state.name)
            hook(owner, run, state)
        except Exception:
            run_logger.error("An error was encountered while running hook %r", name, exc_info=True)
        else:
            run_logger.info("Hook %r finished running successfully", name)


async def run_hooks_async(
    hooks: Sequence[Callable[..., Any]] | None,
    owner: Any,
    run: Any,
    state: State[Any],
    run_logger: Any,
) -> None:
    """Like :func:`run_hooks`; a hook that returns an awaitable is awaited."""
    for hook in hooks or ():
        name = getattr(hook, "__name__", repr(hook))
        try:
            run_logger.info("Running hook %r in response to entering state %r", name, state.name)
            outcome = hook(owner, run, state)
            if hasattr(outcome, "__await__"):
                await outcome
        except Exception:
            run_logger.error("An error was encountered while running hook %r", name, exc_info=True)
        else:
            run_logger.info("Hook %r finished running successfully", name)


def retry_delay(
    delays: float | Sequence[float] | None, retry_number: int, jitter: float | None
) -> float:
    """Seconds to wait before retry ``retry_number`` (1 for the first retry)."""
    if delays is None:
        delay = 0.0
    elif isinstance(delays, int | float):
        delay = float(delays)
    elif len(delays) == 0:
        delay = 0.0
    else:
        delay = float(delays[min(retry_number - 1, len(delays) - 1)])
    if jitter and delay > 0:
        delay = max(0.0, delay * (1 + random.uniform(-jitter, jitter)))
    return delay
