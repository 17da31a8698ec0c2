"""Print capture: with ``log_prints=True``, ``print`` inside a run becomes an INFO log.

``builtins.print`` is replaced once, the first time a run asks for capture, by a function
that looks up the current run's logger in a context variable: outside capturing runs (or
when printing to a file other than stdout/stderr) it prints as usual. Capture therefore
follows the run into the threads its tasks run on, and never leaks into other threads.
"""

from __future__ import annotations

import builtins
import sys
import threading
from contextlib import AbstractContextManager
from contextvars import ContextVar, Token
from typing import Any

__all__ = ["capture_prints", "print_as_log", "print_capture_logger"]

_builtin_print = builtins.print
_capture: ContextVar[Any] = ContextVar("podium_print_logger", default=None)
_install_lock = threading.Lock()

print_capture_logger = _capture.get
"""The logger that captures prints here, ``None`` where none does.

The task engine asks it to skip making a capture where one would do nothing."""


def print_as_log(*args: Any, **kwargs: Any) -> None:
    """``print``, sent to the current run's logger when that run captures prints."""
    logger = _capture.get()
    file = kwargs.get("file")
    if logger is None or (file is not None and file not in (sys.stdout, sys.stderr)):
        _builtin_print(*args, **kwargs)
        return
    sep = kwargs.get("sep")
    message = (" " if sep is None else sep).join(str(arg) for arg in args)
    logger.info(message, extra={"log_prints": True})


def _install() -> None:
    if builtins.print is print_as_log:
        return
    with _install_lock:
        if builtins.print is not print_as_log:
            builtins.print = print_as_log


class _PrintCapture:
    """The context manager :func:`capture_prints` returns.

    A class rather than a generator: it is entered for every task run, and leaving
    capture off where it already is off costs nothing.
    """

    __slots__ = ("_logger", "_token")

    def __init__(self, logger: Any | None) -> None:
        self._logger = logger
        self._token: Token[Any] | None = None

    def __enter__(self) -> None:
        logger = self._logger
        if logger is None and _capture.get() is None:
            return
        if logger is not None:
            _install()
        self._token = _capture.set(logger)

    def __exit__(self, *exc: object) -> None:
        token = self._token
        if token is not None:
            self._token = None
            _capture.reset(token)


def capture_prints(logger: Any | None) -> AbstractContextManager[None]:
    """Within the block, ``print`` logs to ``logger``; ``None`` turns capture off."""
    return _PrintCapture(logger)
