"""Parameters: binding call arguments, validating them, and storing them as JSON.

* :class:`CallSignature` is the per-function work done once and kept on the Flow or
  Task: the signature, which parameter is ``self``/``cls`` for a bound method, how to
  turn a parameter dict back into ``*args, **kwargs``, and (built on first use) the
  pydantic model that validates and coerces parameters from the type hints.
* :func:`jsonable_parameters` makes the JSON object a flow run stores. A value that has
  no JSON form (or refers to itself) is stored as a placeholder string, and the caller
  gets a message per parameter saying why; the function still receives the real value.
"""

from __future__ import annotations

import inspect
import typing
from typing import Any

from pydantic import ConfigDict, Field, ValidationError, create_model
from pydantic_core import PydanticSerializationError, to_jsonable_python

from podium.exceptions import ParameterBindError, ParameterTypeError

__all__ = ["CallSignature", "jsonable_parameters"]

_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY,)
_VAR_POSITIONAL = inspect.Parameter.VAR_POSITIONAL
_VAR_KEYWORD = inspect.Parameter.VAR_KEYWORD
_PLAIN = inspect.Parameter.POSITIONAL_OR_KEYWORD
_EMPTY = inspect.Parameter.empty


class CallSignature:
    """A function's signature, prepared for fast binding and validation."""

    __slots__ = ("_models", "_names", "_plain", "fn", "kinds", "signature")

    def __init__(self, fn: Any) -> None:
        self.fn = fn
        self.signature = inspect.signature(fn)
        params = list(self.signature.parameters.values())
        self.kinds = [(p.name, p.kind) for p in params]
        self._models: dict[str | None, Any] = {}
        # A signature of plain parameters (no *args, **kwargs, keyword- or positional-only)
        # is bound without inspect's BoundArguments: that is most tasks, on every call.
        plain = all(p.kind is _PLAIN for p in params)
        self._plain = tuple((p.name, p.default) for p in params) if plain else None
        self._names = tuple(p.name for p in params)

    def bind(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        """The parameters of a call, defaults applied, in signature order.

        Raises:
            ParameterBindError: the arguments do not fit the signature.
        """
        plain = self._plain
        if plain is not None:
            if not kwargs and len(args) == len(plain):
                # Every argument given by position: the commonest call, checked here
                # rather than in ``_bind_plain`` to save a call per task run.
                return dict(zip(self._names, args, strict=True))
            quick = self._bind_plain(plain, args, kwargs)
            if quick is not None:
                return quick
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise ParameterBindError.from_bind_failure(self.fn, exc, args, kwargs) from None
        bound.apply_defaults()
        return bound.arguments

    def _bind_plain(
        self, plain: tuple[tuple[str, Any], ...], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> dict[str, Any] | None:
        """:meth:`bind` for plain parameters; ``None`` when the call does not fit.

        A call that does not fit goes the general way, which names the problem.
        """
        given = len(args)
        if given > len(plain):
            return None
        bound: dict[str, Any] = {}
        from_kwargs = 0
        for index, (name, default) in enumerate(plain):
            if index < given:
                bound[name] = args[index]
            elif name in kwargs:
                bound[name] = kwargs[name]
                from_kwargs += 1
            elif default is not _EMPTY:
                bound[name] = default
            else:
                return None
        return bound if from_kwargs == len(kwargs) else None

    def to_call(self, parameters: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
        """``*args, **kwargs`` that call the function with ``parameters``.

        ``kwargs`` may be ``parameters`` itself: a call with ``**kwargs`` gets a copy.
        """
        if self._plain is not None and tuple(parameters) == self._names:
            # Every plain parameter, in order (what :meth:`bind` gives): the loop below
            # would rebuild the same dict, for every task run.
            return [], parameters
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        for name, kind in self.kinds:
            if name not in parameters:
                continue
            value = parameters[name]
            if kind in _POSITIONAL:
                args.append(value)
            elif kind is _VAR_POSITIONAL:
                args.extend(value)
            elif kind is _VAR_KEYWORD:
                kwargs.update(value)
            else:
                kwargs[name] = value
        return args, kwargs

    def validate(self, parameters: dict[str, Any], skip: str | None = None) -> dict[str, Any]:
        """Validate and coerce ``parameters`` from the type hints (pydantic models too).

        Args:
            parameters: as returned by :meth:`bind`.
            skip: a parameter passed through unchecked (``self`` or ``cls``).

        Raises:
            ParameterTypeError: one or more parameters are invalid; the message names each.
        """
        model = self._models.get(skip) or self._build_model(skip)
        checked = {k: v for k, v in parameters.items() if k != skip}
        try:
            validated = model.model_validate(checked)
        except ValidationError as exc:
            raise ParameterTypeError.from_validation_error(exc) from None
        out = dict(parameters)
        for name in checked:
            out[name] = getattr(validated, "p_" + name)
        return out

    def _build_model(self, skip: str | None) -> Any:
        try:
            hints = typing.get_type_hints(self.fn, include_extras=True)
        except Exception:
            hints = {}
        fields: dict[str, Any] = {}
        for param in self.signature.parameters.values():
            if param.name == skip:
                continue
            annotation = hints.get(param.name, Any)
            if param.kind is _VAR_POSITIONAL:
                annotation = tuple[annotation, ...]  # type: ignore[valid-type]
            elif param.kind is _VAR_KEYWORD:
                annotation = dict[str, annotation]  # type: ignore[valid-type]
            default = ... if param.default is inspect.Parameter.empty else param.default
            if param.kind in (_VAR_POSITIONAL, _VAR_KEYWORD):
                default = ...
            # Field names may clash with BaseModel attributes; an alias keeps the input key.
            fields["p_" + param.name] = (
                annotation,
                Field(default=default, alias=param.name, validate_default=False),
            )
        model = create_model(
            "Parameters",
            __config__=ConfigDict(arbitrary_types_allowed=True, populate_by_name=False),
            **fields,
        )
        self._models[skip] = model
        return model


def jsonable_parameters(parameters: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The parameters as JSON values, and a message for each one that cannot be stored.

    Pydantic models, dataclasses, dates, UUIDs, paths, sets and tuples are converted;
    anything else without a JSON form, and any value that contains itself, is replaced by
    a placeholder string that names its type.
    """
    out: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for name, value in parameters.items():
        try:
            out[name] = to_jsonable_python(value)
        except (PydanticSerializationError, ValueError, TypeError, RecursionError) as exc:
            reason = _reason(exc)
            problems[name] = reason
            out[name] = f"<{type(value).__name__} not stored: {reason}>"
    return out, problems


def _reason(exc: BaseException) -> str:
    text = str(exc)
    if "ircular reference" in text or isinstance(exc, RecursionError):
        return "the value refers to itself"
    if "Unable to serialize unknown type" in text:
        return "it has no JSON form"
    return text.splitlines()[0] if text else type(exc).__name__
