"""Resolving task arguments: futures and states become values, upstreams are recorded.

A future (or a run's state) passed to a task, at any depth inside lists, tuples, sets and
dicts, is waited for and replaced by its result; the upstream run is recorded in the
task run's ``task_inputs`` under the parameter's name (``wait_for`` dependencies under
``"wait_for"``). An upstream that did not complete stops the task (it ends
``NotReady``) unless wrapped in ``allow_failure``, which passes its exception instead.
``quote(x)`` passes ``x`` as is without looking inside. Containers are visited once
each, so values that contain themselves are safe.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from podium.annotations import allow_failure, quote
from podium.futures import PodiumFuture
from podium.schemas.core import TaskRunInput
from podium.schemas.states import State as StateSchema

__all__ = ["SCALARS", "UpstreamFailure", "resolve_inputs"]

SCALARS = frozenset({str, int, float, bool, bytes, type(None), complex})
"""Types whose values hold no future or state (checked with ``type(value) in SCALARS``)."""


class UpstreamFailure:
    """An upstream that did not complete, with enough to say so clearly."""

    __slots__ = ("state", "task_run_id")

    def __init__(self, task_run_id: UUID | None, state: StateSchema) -> None:
        self.task_run_id = task_run_id
        self.state = state


class _Resolver:
    __slots__ = ("failure", "seen", "upstream")

    def __init__(self) -> None:
        self.upstream: list[UUID] = []
        self.failure: UpstreamFailure | None = None
        self.seen: set[int] = set()

    def state_value(self, state: StateSchema, run_id: UUID | None, allowed: bool) -> Any:
        if run_id is not None:
            self.upstream.append(run_id)
        if not state.is_completed():
            if not allowed:
                if self.failure is None:
                    self.failure = UpstreamFailure(run_id, state)
                return None
            return state.result(raise_on_failure=False)  # type: ignore[attr-defined]
        return state.result()  # type: ignore[attr-defined]

    def visit(self, value: Any, allowed: bool = False) -> Any:
        kind = type(value)
        if kind in SCALARS:
            return value
        if isinstance(value, PodiumFuture):
            value.wait()
            return self.state_value(value.state, value.task_run_id, allowed)
        if isinstance(value, StateSchema):
            return self.state_value(value, value.state_details.task_run_id, allowed)
        if isinstance(value, allow_failure):
            return self.visit(value.value, True)
        if isinstance(value, quote):
            return value.value
        if isinstance(value, list | tuple | set | frozenset | dict):
            if id(value) in self.seen:
                return value
            self.seen.add(id(value))
            return self.visit_container(value, allowed)
        return value

    def visit_container(self, value: Any, allowed: bool) -> Any:
        if isinstance(value, dict):
            items = {k: self.visit(v, allowed) for k, v in value.items()}
            if all(items[k] is v for k, v in value.items()):
                return value
            return _rebuild(value, items)
        new = [self.visit(item, allowed) for item in value]
        if all(a is b for a, b in zip(new, value, strict=False)):
            return value
        return _rebuild(value, new)


def _rebuild(original: Any, items: Any) -> Any:
    kind = type(original)
    if isinstance(original, tuple) and hasattr(original, "_fields"):
        return kind(*items)  # a namedtuple
    try:
        return kind(items)
    except Exception:
        return dict(items) if isinstance(original, dict) else list(items)


def resolve_inputs(
    parameters: dict[str, Any], wait_for: Any = None, record: bool = True
) -> tuple[dict[str, Any], dict[str, list[TaskRunInput]], UpstreamFailure | None]:
    """Resolve futures and states in ``parameters`` and wait for ``wait_for``.

    Returns:
        The resolved parameters, the upstream runs per parameter (for ``task_inputs``),
        and the first upstream failure (``None`` if all completed or were allowed to fail).
    """
    if not wait_for:
        for value in parameters.values():
            if type(value) not in SCALARS:
                break
        else:
            # Nothing to resolve (most task calls): the parameters serve as they are,
            # without a resolver or a copy.
            return parameters, {}, None
    resolver = _Resolver()
    inputs: dict[str, list[TaskRunInput]] = {}
    resolved: dict[str, Any] = {}
    for name, value in parameters.items():
        if type(value) in SCALARS:
            resolved[name] = value
            continue
        resolved[name] = resolver.visit(value)
        if resolver.upstream:
            if record:
                inputs[name] = [_input(run_id) for run_id in dict.fromkeys(resolver.upstream)]
            resolver.upstream = []
    if wait_for:
        for item in wait_for if isinstance(wait_for, list | tuple | set) else [wait_for]:
            resolver.visit(item)
        if resolver.upstream and record:
            inputs["wait_for"] = [_input(run_id) for run_id in dict.fromkeys(resolver.upstream)]
    return resolved, inputs, resolver.failure


def _input(run_id: UUID) -> TaskRunInput:
    return TaskRunInput.model_construct(input_type="task_run", id=run_id, name=None)
