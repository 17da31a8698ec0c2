"""Modules loaded when first used rather than when their user is imported.

For a module whose functions need another only when called: the client's
deployment and work-pool calls, for one, whose schemas took about 30 ms of every
short script's start though a flow run never uses them. Write

.. code-block:: python

    if TYPE_CHECKING:
        from podium.schemas import deployments as dep
    else:
        dep = LazyModule("podium.schemas.deployments")

and ``dep.Deployment`` where the class is needed: type checkers see the module,
and it is imported the first time one of its names is read.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

__all__ = ["LazyModule"]


class LazyModule:
    """Stands for the module ``name``, imported when one of its attributes is first read."""

    # On the class, so that reading them never reaches ``__getattr__``, even on an
    # object made without ``__init__`` (as ``copy`` makes one).
    _name: str = ""
    _module: ModuleType | None = None

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        # Called only for names not on this object: every name of the module. Special
        # names are this object's own business (``copy`` and ``pickle`` ask for some):
        # asking never imports the module.
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(f"{type(self).__name__} has no attribute {attr!r}")
        module = self._module
        if module is None:
            # The import system's locks make a first use from two threads safe.
            module = self._module = importlib.import_module(self._name)
        return getattr(module, attr)

    def __repr__(self) -> str:
        state = "loaded" if self._module is not None else "not loaded yet"
        return f"<LazyModule {self._name!r}, {state}>"
