"""Cache policies: how a task run's cache key is computed.

A policy's ``compute_key(task_ctx, inputs, flow_parameters)`` returns a string key, or
``None`` for "do not cache". Two task runs with the same key share one stored result.
``task_ctx`` is the task run context: anything with ``.task`` (whose ``.fn`` is the
task's function) and ``.task_run`` (with ``.flow_run_id`` and ``.id``).

Policies (Prefect's names):

* ``INPUTS``: the task's arguments; ``INPUTS - "name"`` (or ``Inputs(exclude=["name"])``)
  leaves an argument out.
* ``TASK_SOURCE``: the task function's source code (its compiled code object when the
  source is unavailable, its qualified name as a last resort).
* ``RUN_ID``: the flow run id (the task run id for a task run outside any flow).
* ``FLOW_PARAMETERS``: the parameters of the flow run.
* ``NO_CACHE`` (alias ``NONE``): never caches. Adding it to a policy is a no-op
  (``INPUTS + NO_CACHE == INPUTS``), as in Prefect; use it alone to turn caching off.
* ``DEFAULT = INPUTS + TASK_SOURCE + RUN_ID``.
* ``CacheKeyFnPolicy(cache_key_fn)``: a user function ``(task_ctx, inputs) -> str | None``.

``a + b`` is a :class:`CompoundCachePolicy`: it hashes the keys of its parts together,
skipping parts that return ``None`` (and returns ``None`` if all do).

Hashing (:func:`hash_objects`) is stable across processes and interpreter runs: values are
reduced to a canonical JSON form (sorted keys; tuples, sets, bytes, datetimes, UUIDs,
pydantic models, dataclasses and enums tagged so they never collide with look-alikes;
sets ordered by content) and hashed with SHA-256. A value with no JSON form is hashed by
its cloudpickle bytes. A value that neither can encode (a lock, an open file, a socket)
raises ``ValueError`` naming the argument and suggesting ``INPUTS - "<name>"`` or
``NO_CACHE``: a key that silently ignored an argument would return wrong cached results.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import enum
import hashlib
import inspect
import marshal
import math
import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import PurePath
from typing import Any

import cloudpickle
import orjson
from pydantic import BaseModel

from podium.exceptions import HashError

__all__ = [
    "DEFAULT",
    "FLOW_PARAMETERS",
    "INPUTS",
    "NONE",
    "NO_CACHE",
    "RUN_ID",
    "TASK_SOURCE",
    "CacheKeyFnPolicy",
    "CachePolicy",
    "CompoundCachePolicy",
    "FlowParameters",
    "Inputs",
    "RunId",
    "TaskSource",
    "hash_objects",
]


# --- hashing -------------------------------------------------------------------


def _tag(kind: str, value: Any) -> list[Any]:
    # Every container, user lists included, becomes [kind, payload]: the shape is ours
    # everywhere, so a user value can never look like a tagged one.
    return [kind, value]


def _canonical(obj: Any) -> Any:
    if obj is None or type(obj) in (str, bool):
        return obj
    if isinstance(obj, enum.Enum):
        return _tag("enum", [type(obj).__qualname__, _canonical(obj.value)])
    if type(obj) is int:
        return obj if -(2**63) <= obj < 2**63 else _tag("int", str(obj))
    if type(obj) is float:
        return obj if math.isfinite(obj) else _tag("float", repr(obj))
    if type(obj) is list or type(obj) is tuple:
        return _tag(type(obj).__name__, [_canonical(item) for item in obj])
    if type(obj) is dict:
        if all(type(k) is str for k in obj):
            return _tag("dict", {k: _canonical(v) for k, v in obj.items()})
        items = [[_canonical(k), _canonical(v)] for k, v in obj.items()]
        return _tag("mapping", sorted(items, key=_encode))
    if isinstance(obj, set | frozenset):
        members = sorted((_canonical(item) for item in obj), key=_encode)
        return _tag(type(obj).__name__, members)
    if isinstance(obj, bytes | bytearray):
        return _tag("bytes", hashlib.sha256(obj).hexdigest())
    if isinstance(obj, dt.datetime | dt.date | dt.time):
        return _tag(type(obj).__name__, obj.isoformat())
    if isinstance(obj, dt.timedelta):
        return _tag("timedelta", [obj.days, obj.seconds, obj.microseconds])
    if isinstance(obj, uuid.UUID | Decimal | PurePath):
        return _tag(type(obj).__name__, str(obj))
    if isinstance(obj, BaseModel):
        return _tag(_qualname(obj), _canonical(obj.model_dump(mode="python")))
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        fields = {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
        return _tag(_qualname(obj), _canonical(fields))
    try:
        pickled = cloudpickle.dumps(obj)
    except Exception as exc:
        raise HashError(
            f"a value of type {_qualname(obj)!r} has no JSON form and cannot be pickled ({exc})"
        ) from exc
    return _tag("pickle", hashlib.sha256(pickled).hexdigest())


def _qualname(obj: Any) -> str:
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def _encode(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def hash_objects(*args: Any, **kwargs: Any) -> str:
    """A stable SHA-256 hex digest of the given values.

    Raises:
        HashError: a value can be neither canonically encoded nor pickled.
    """
    return hashlib.sha256(_encode(_canonical([list(args), kwargs]))).hexdigest()


# --- policies ------------------------------------------------------------------


@dataclasses.dataclass
class CachePolicy:
    """Base of cache policies.

    Attributes:
        key_storage: where cached results are kept, if not in the task's result storage
            (a path, an fsspec URL or a filesystem).
    """

    key_storage: Any = None

    @classmethod
    def from_cache_key_fn(
        cls, cache_key_fn: Callable[[Any, dict[str, Any]], str | None]
    ) -> CacheKeyFnPolicy:
        """A policy that calls ``cache_key_fn(task_ctx, inputs)``."""
        return CacheKeyFnPolicy(cache_key_fn=cache_key_fn)

    def configure(self, key_storage: Any = None) -> CachePolicy:
        """A copy of this policy that keeps cached results in ``key_storage``."""
        new = copy.deepcopy(self)
        if key_storage is not None:
            new.key_storage = key_storage
        return new

    def compute_key(
        self,
        task_ctx: Any,
        inputs: dict[str, Any],
        flow_parameters: dict[str, Any],
        **kwargs: Any,
    ) -> str | None:
        """The cache key for this run, or ``None`` to skip caching."""
        raise NotImplementedError

    def __sub__(self, other: str) -> CachePolicy:
        # only policies that look at inputs change; kept here so ``DEFAULT - "x"`` works
        if not isinstance(other, str):
            raise TypeError("Only argument names (strings) can be subtracted from a policy.")
        return self

    def __add__(self, other: CachePolicy) -> CachePolicy:
        if isinstance(other, _None):
            return self
        if not isinstance(other, CachePolicy):
            return NotImplemented
        if other.key_storage is not None and self.key_storage is not None:
            if other.key_storage != self.key_storage:
                raise ValueError("Cannot add cache policies with different key storages.")
        return CompoundCachePolicy(
            policies=[self, other], key_storage=self.key_storage or other.key_storage
        )


@dataclasses.dataclass
class CacheKeyFnPolicy(CachePolicy):
    """Computes the key with a user function ``cache_key_fn(task_ctx, inputs)``."""

    cache_key_fn: Callable[[Any, dict[str, Any]], str | None] | None = None

    def compute_key(
        self, task_ctx: Any, inputs: dict[str, Any], flow_parameters: dict[str, Any], **kwargs: Any
    ) -> str | None:
        return self.cache_key_fn(task_ctx, inputs) if self.cache_key_fn else None


@dataclasses.dataclass
class CompoundCachePolicy(CachePolicy):
    """Hashes together the keys of several policies, skipping those that give ``None``."""

    policies: list[CachePolicy] = dataclasses.field(default_factory=list)

    def __post_init__(self) -> None:
        flat: list[CachePolicy] = []
        for policy in self.policies:
            flat.extend(policy.policies if isinstance(policy, CompoundCachePolicy) else [policy])
        # several Inputs parts merge into one that excludes everything any of them did
        excluded = sorted({name for p in flat if isinstance(p, Inputs) for name in p.exclude})
        has_inputs = any(isinstance(p, Inputs) for p in flat)
        self.policies = [p for p in flat if not isinstance(p, Inputs | _None)]
        if has_inputs:
            self.policies.append(Inputs(exclude=excluded))

    def compute_key(
        self, task_ctx: Any, inputs: dict[str, Any], flow_parameters: dict[str, Any], **kwargs: Any
    ) -> str | None:
        keys = [
            key
            for policy in self.policies
            if (key := policy.compute_key(task_ctx, inputs, flow_parameters, **kwargs)) is not None
        ]
        return hash_objects(*keys) if keys else None

    def __add__(self, other: CachePolicy) -> CachePolicy:
        combined = super().__add__(other)
        if combined is self or combined is NotImplemented:
            return combined
        return CompoundCachePolicy(
            policies=[*self.policies, other], key_storage=self.key_storage or other.key_storage
        )

    def __sub__(self, other: str) -> CachePolicy:
        super().__sub__(other)
        if not any(isinstance(p, Inputs) for p in self.policies):
            return self
        return CompoundCachePolicy(
            policies=[*self.policies, Inputs(exclude=[other])], key_storage=self.key_storage
        )


@dataclasses.dataclass
class _None(CachePolicy):
    """Never caches: the key is always ``None``."""

    def compute_key(
        self, task_ctx: Any, inputs: dict[str, Any], flow_parameters: dict[str, Any], **kwargs: Any
    ) -> str | None:
        return None

    def __add__(self, other: CachePolicy) -> CachePolicy:
        return other


@dataclasses.dataclass
class TaskSource(CachePolicy):
    """Keys on the task function's source code (not that of tasks it calls)."""

    def compute_key(
        self, task_ctx: Any, inputs: dict[str, Any], flow_parameters: dict[str, Any], **kwargs: Any
    ) -> str | None:
        if task_ctx is None:
            return None
        task = getattr(task_ctx, "task", None)
        fn = getattr(task, "fn", task)
        if fn is None:
            return None
        fn = inspect.unwrap(fn)
        try:
            return hash_objects(inspect.getsource(fn))
        except (OSError, TypeError):
            pass
        code = getattr(fn, "__code__", None)
        if code is not None:
            # the compiled code (with its constants) still changes when the function does
            return hash_objects(marshal.dumps(code))
        return hash_objects(getattr(fn, "__module__", ""), getattr(fn, "__qualname__", repr(fn)))


@dataclasses.dataclass
class FlowParameters(CachePolicy):
    """Keys on the flow run's parameters."""

    def compute_key(
        self, task_ctx: Any, inputs: dict[str, Any], flow_parameters: dict[str, Any], **kwargs: Any
    ) -> str | None:
        if not flow_parameters:
            return None
        return hash_objects(flow_parameters)


@dataclasses.dataclass
class RunId(CachePolicy):
    """Keys on the flow run id (the task run id when there is no flow run)."""

    def compute_key(
        self, task_ctx: Any, inputs: dict[str, Any], flow_parameters: dict[str, Any], **kwargs: Any
    ) -> str | None:
        if task_ctx is None:
            return None
        run_id = task_ctx.task_run.flow_run_id
        if run_id is None:
            run_id = task_ctx.task_run.id
        return str(run_id)


@dataclasses.dataclass
class Inputs(CachePolicy):
    """Keys on the task's arguments, except those named in ``exclude``."""

    exclude: list[str] = dataclasses.field(default_factory=list)

    def compute_key(
        self, task_ctx: Any, inputs: dict[str, Any], flow_parameters: dict[str, Any], **kwargs: Any
    ) -> str | None:
        if not inputs:
            return None
        canonical: dict[str, Any] = {}
        for name, value in inputs.items():
            if name in self.exclude:
                continue
            try:
                canonical[name] = _canonical(value)
            except HashError as exc:
                raise ValueError(
                    f"Cannot compute a cache key: argument {name!r} cannot be hashed: {exc}. "
                    "Such values (locks, open files, connections, ...) cannot identify a "
                    f'cached result. Leave it out with cache_policy=INPUTS - "{name}" '
                    f'(or DEFAULT - "{name}"), or turn caching off with cache_policy=NO_CACHE.'
                ) from exc
        return hashlib.sha256(_encode(canonical)).hexdigest()

    def __sub__(self, other: str) -> CachePolicy:
        super().__sub__(other)
        return Inputs(exclude=[*self.exclude, other], key_storage=self.key_storage)


INPUTS = Inputs()
NONE = _None()
NO_CACHE = _None()
TASK_SOURCE = TaskSource()
FLOW_PARAMETERS = FlowParameters()
RUN_ID = RunId()
DEFAULT = INPUTS + TASK_SOURCE + RUN_ID
