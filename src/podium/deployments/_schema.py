"""The parameter schema of a flow: a JSON schema derived from its signature.

Stored with a deployment as ``parameter_openapi_schema``; the server checks
the parameters of every run of the deployment against it (unknown names,
wrong types, missing required values), so bad input is refused when the run
is created, not when it starts.
"""

from __future__ import annotations

import inspect
import typing
import warnings
from typing import Any

from pydantic import ConfigDict, Field, create_model

__all__ = ["parameter_schema"]

_SKIPPED = (inspect.Parameter.VAR_POSITIONAL,)


def parameter_schema(fn: Any, skip: str | None = None) -> dict[str, Any]:
    """A JSON schema of the parameters ``fn`` takes (``self``/``skip`` left out).

    Each parameter is typed by its annotation (pydantic's JSON schema); one
    whose type has no JSON schema accepts any value; one without a default is
    ``required``. A function with ``**kwargs`` accepts other names too.
    """
    signature = inspect.signature(fn)
    try:
        hints = typing.get_type_hints(fn, include_extras=True)
    except Exception:
        hints = {}
    params = [
        p
        for p in signature.parameters.values()
        if p.name != skip and p.kind not in _SKIPPED and p.kind != inspect.Parameter.VAR_KEYWORD
    ]
    schema = _whole(params, hints)
    if schema is None:
        schema = _one_by_one(params, hints)
    schema["title"] = "Parameters"
    schema.setdefault("properties", {})
    if any(p.kind == inspect.Parameter.VAR_KEYWORD for p in signature.parameters.values()):
        schema["additionalProperties"] = True
    return schema


def _field(param: inspect.Parameter, annotation: Any, with_default: bool = True) -> Any:
    default = ... if param.default is inspect.Parameter.empty else param.default
    if not with_default and default is not ...:
        default = None
    return (annotation, Field(default=default, alias=param.name, title=param.name))


def _schema_of(fields: dict[str, Any]) -> dict[str, Any]:
    with warnings.catch_warnings():
        # an odd annotation or a default with no JSON form is left out, not an error
        warnings.simplefilter("ignore")
        model = create_model(
            "Parameters", __config__=ConfigDict(arbitrary_types_allowed=True), **fields
        )
        return model.model_json_schema(by_alias=True)


def _whole(params: list[inspect.Parameter], hints: dict[str, Any]) -> dict[str, Any] | None:
    fields = {f"p_{p.name}": _field(p, hints.get(p.name, Any)) for p in params}
    try:
        return _schema_of(fields)
    except Exception:
        return None


def _one_by_one(params: list[inspect.Parameter], hints: dict[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    definitions: dict[str, Any] = {}
    required: list[str] = []
    for p in params:
        try:
            part = _schema_of({f"p_{p.name}": _field(p, hints.get(p.name, Any))})
        except Exception:
            try:
                part = _schema_of({f"p_{p.name}": _field(p, Any, with_default=False)})
            except Exception:
                part = {"properties": {p.name: {"title": p.name}}}
        properties.update(part.get("properties", {}))
        definitions.update(part.get("$defs", {}))
        if p.default is inspect.Parameter.empty:
            required.append(p.name)
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    if definitions:
        schema["$defs"] = definitions
    return schema
