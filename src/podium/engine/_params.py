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


class CallSignature:
    """A function's signature, prepared for fast binding and validation."""

    __slots__ = ("_models", "fn", "kinds", "signature")

    def __init__(self, fn: Any) -> None:
        self.fn = fn
        self.signature = inspect.signature(fn)
        self.kinds = [(p.name, p.kind) for p in self.signature.parameters.values()]
        self._models: dict[str | None, Any] = {}

    def bind(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        """The parameters of a call, defaults applied, in signature order.

        Raises:
            ParameterBindError: the arguments do not fit the signature.
        """
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise ParameterBindError.from_bind_failure(self.fn, exc, args, kwargs) from None
        bound.apply_defaults()
        return bound.arguments

    def to_call(self, parameters: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
        """``*args, **kwargs`` that call the function with ``parameters``."""
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
