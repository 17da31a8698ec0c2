"""Annotations: thin wrappers that change how the engine treats a task argument.

* ``unmapped(x)``: passed whole to every mapped call of ``Task.map`` instead of being
  iterated over.
* ``allow_failure(future_or_state)``: the downstream task runs even if this upstream
  failed; it receives the upstream's exception (or result) as the argument.
* ``quote(x)``: the engine does not look inside ``x`` for futures or states to resolve,
  which saves time on large collections that contain none.

Each wrapper holds one value; ``unwrap()`` returns it and ``rewrap(value)`` builds the
same kind of wrapper around another value. Wrappers compare equal when they are the same
kind and their values are equal.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

T = TypeVar("T")

__all__ = ["BaseAnnotation", "NotSet", "Quote", "allow_failure", "quote", "unmapped"]


class BaseAnnotation(Generic[T]):
    """Base of argument annotations: a wrapper around exactly one value."""

    __slots__ = ("value",)

    def __init__(self, value: T) -> None:
        self.value = value

    def unwrap(self) -> T:
        """Return the wrapped value."""
        return self.value

    def rewrap(self, value: T) -> BaseAnnotation[T]:
        """Return a wrapper of the same kind around ``value``."""
        return type(self)(value)

    def __eq__(self, other: object) -> bool:
        if type(self) is not type(other):
            return False
        assert isinstance(other, BaseAnnotation)
        return bool(self.value == other.value)

    def __hash__(self) -> int:
        # like a tuple: hashable exactly when the wrapped value is
        return hash((type(self), self.value))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.value!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.value,))


# The wrapper names are lowercase on purpose: they read as functions at call sites.
class unmapped(BaseAnnotation[T]):
    """Pass a value whole to every call made by ``Task.map``.

    Example:
        ``add.map([1, 2, 3], unmapped(10))`` calls ``add(1, 10)``, ``add(2, 10)``, ...
    """

    __slots__ = ()

    def __getitem__(self, _index: Any) -> T:
        # ``map`` indexes every iterable argument; an unmapped value answers any index
        return self.value


class allow_failure(BaseAnnotation[T]):
    """Let a downstream task run even when this upstream future or state failed.

    The downstream task receives the upstream's exception in place of its result.
    """

    __slots__ = ()


class quote(BaseAnnotation[T]):
    """Keep the engine from searching this value for futures and states to resolve."""

    __slots__ = ()

    def unquote(self) -> T:
        """Return the wrapped value (same as ``unwrap()``)."""
        return self.value


Quote = quote
"""Alias of :class:`quote` kept for code that uses the capitalised name."""


class NotSet:
    """Sentinel for an option that was not given (distinct from ``None``)."""
