"""Load httpx's command-line client only when it is used.

``import httpx`` imports ``httpx._main``, its command-line client, whenever that
client's dependencies (click, rich, pygments) are installed, and Podium's own CLI
installs them. A script that runs a flow never uses it, yet loading it cost as
much as the rest of httpx. Before httpx is first imported, :func:`defer` puts a
stand-in for that module in ``sys.modules``: the same names, each loading the real
module on first use, so ``httpx.main`` and everything in ``httpx._main`` behave as
before.
"""

from __future__ import annotations

import sys
from importlib import import_module
from types import ModuleType
from typing import Any

__all__ = ["defer"]

_NAME = "httpx._main"


class _DeferredCli(ModuleType):
    """Stands in for ``httpx._main`` until one of its names is used."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            # The import system probes module attributes such as ``__path__``; a
            # probe is not a use.
            raise AttributeError(name)
        return getattr(_load(), name)


def _load() -> ModuleType:
    """The real ``httpx._main``, imported in place of the stand-in."""
    module = sys.modules.get(_NAME)
    if isinstance(module, _DeferredCli):
        del sys.modules[_NAME]
        module = import_module(_NAME)
    assert module is not None
    return module


def main(*args: Any, **kwargs: Any) -> Any:
    """httpx's command-line entry point, loaded on first call."""
    return _load().main(*args, **kwargs)


def defer() -> None:
    """Install the stand-in, unless httpx (or its CLI) is already imported."""
    if "httpx" in sys.modules or _NAME in sys.modules:
        return
    stand_in = _DeferredCli(_NAME, __doc__)
    stand_in.main = main  # type: ignore[attr-defined]
    sys.modules[_NAME] = stand_in
