"""Job variables and parameters: merging, and validation against JSON schemas.

Pure functions, no I/O. A work pool's ``base_job_template`` carries a JSON
schema under ``variables``; job variables are merged in three layers, later
ones winning key by key (a nested object such as ``env`` is replaced whole,
not merged):

    pool template defaults  ->  deployment job_variables  ->  flow run job_variables

A run's parameters are merged the same way from the deployment's defaults
(and a schedule's overrides) and the values given for the run, and checked
against the deployment's ``parameter_openapi_schema``.

Every refusal raises :class:`~podium.server.errors.Invalid` (422) with a
message naming each offending key. A key is *unknown* when the schema lists
``properties`` and the key is not among them (unless the schema sets
``additionalProperties`` to true); a schema without ``properties`` accepts
any key.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from jsonschema import validators
from jsonschema.exceptions import SchemaError, ValidationError

from podium.schemas.work_pools import template_defaults, variables_schema
from podium.server.errors import Invalid

_PLACEHOLDER = re.compile(r"{{\s*([\w.\-]+)\s*}}")


def merge_parameters(*layers: Mapping[str, Any] | None) -> dict[str, Any]:
    """Parameter layers overlaid in order: given values always win over defaults."""
    merged: dict[str, Any] = {}
    for layer in layers:
        merged.update(layer or {})
    return merged


def schema_problems(
    schema: Mapping[str, Any], values: Mapping[str, Any], *, require: bool
) -> list[str]:
    """What is wrong with ``values`` under ``schema``, one ``key: reason`` per problem.

    Args:
        schema: A JSON schema describing an object.
        values: The object to check.
        require: Whether missing required keys count (they do when a run is
            created, not when defaults are stored).
    """
    problems = [f"{key}: is not a known key" for key in _unknown_keys(schema, values)]
    validator = validators.validator_for(schema)(schema)
    for error in sorted(validator.iter_errors(dict(values)), key=_error_order):
        if error.validator == "required" and not error.absolute_path and not require:
            continue
        if error.validator == "additionalProperties" and not error.absolute_path:
            continue  # already named as unknown keys
        problems.append(_describe(error))
    return problems


def _unknown_keys(schema: Mapping[str, Any], values: Mapping[str, Any]) -> list[str]:
    properties = schema.get("properties")
    if not isinstance(properties, Mapping) or schema.get("additionalProperties") is True:
        return []
    return sorted(key for key in values if key not in properties)


def _error_order(error: ValidationError) -> tuple[str, str]:
    return ".".join(map(str, error.absolute_path)), error.message


def _describe(error: ValidationError) -> str:
    if error.validator == "required" and isinstance(error.validator_value, list):
        missing = [name for name in error.validator_value if name not in (error.instance or {})]
        prefix = ".".join(map(str, error.absolute_path))
        names = [f"{prefix}.{name}" if prefix else name for name in missing]
        return "; ".join(f"{name}: is required" for name in names)
    where = ".".join(map(str, error.absolute_path)) or "(value)"
    return f"{where}: {error.message}"


def validate_parameters(
    schema: Mapping[str, Any] | None, parameters: Mapping[str, Any], *, require: bool
) -> None:
    """Refuse parameters the flow does not take or that have the wrong type."""
    if not schema:
        return
    problems = schema_problems(schema, parameters, require=require)
    if problems:
        raise Invalid("Invalid parameters: " + "; ".join(problems))


def validate_job_variables(
    base_job_template: Mapping[str, Any] | None,
    job_variables: Mapping[str, Any],
    *,
    require: bool,
    pool_name: str | None = None,
) -> None:
    """Refuse job variables the pool does not declare or that have the wrong type."""
    schema = variables_schema(base_job_template)
    if not schema:
        return
    problems = schema_problems(schema, job_variables, require=require)
    if problems:
        where = f" for work pool '{pool_name}'" if pool_name else ""
        raise Invalid(f"Invalid job variables{where}: " + "; ".join(problems))


def validate_base_job_template(base_job_template: Mapping[str, Any]) -> None:
    """Refuse a template that is malformed or whose defaults break its own schema.

    A non-empty template has ``job_configuration`` (an object) and
    ``variables`` (a JSON schema); every ``{{ name }}`` placeholder in the job
    configuration names a declared variable; every default is valid.
    """
    if not base_job_template:
        return
    missing = [k for k in ("job_configuration", "variables") if k not in base_job_template]
    if missing:
        raise Invalid(
            "base_job_template: must contain 'job_configuration' and 'variables'; missing "
            + ", ".join(repr(k) for k in missing)
        )
    configuration = base_job_template["job_configuration"]
    schema = base_job_template["variables"]
    if not isinstance(configuration, Mapping):
        raise Invalid("base_job_template.job_configuration: must be an object")
    if not isinstance(schema, Mapping):
        raise Invalid("base_job_template.variables: must be a JSON schema object")
    try:
        validators.validator_for(schema).check_schema(schema)
    except SchemaError as exc:
        where = ".".join(map(str, exc.absolute_path))
        raise Invalid(
            f"base_job_template.variables{'.' + where if where else ''}: is not a valid "
            f"JSON schema: {exc.message}"
        ) from exc
    properties = schema.get("properties") or {}
    undeclared = sorted(
        {
            name
            for name in _placeholders(configuration)
            if "." not in name and name not in properties
        }
    )
    if undeclared:
        raise Invalid(
            "base_job_template.job_configuration: uses undeclared variable(s) "
            + ", ".join(undeclared)
            + "; declare them under variables.properties"
        )
    problems = schema_problems(schema, template_defaults(base_job_template), require=False)
    if problems:
        named = []
        for problem in problems:
            key, reason = problem.split(":", 1)
            named.append(f"variables.properties.{key}.default:{reason}")
        raise Invalid(
            "base_job_template: a default does not satisfy its own schema: " + "; ".join(named)
        )


def _placeholders(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield from _PLACEHOLDER.findall(value)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _placeholders(item)
    elif isinstance(value, list):
        for item in value:
            yield from _placeholders(item)
