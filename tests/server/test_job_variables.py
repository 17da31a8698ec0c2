"""Merging and validating job variables and parameters: pure functions, no database."""

from __future__ import annotations

import pytest

from podium.schemas.work_pools import merge_job_variables, template_defaults
from podium.server.errors import Invalid
from podium.server.models.job_variables import (
    merge_parameters,
    validate_base_job_template,
    validate_job_variables,
    validate_parameters,
)

TEMPLATE = {
    "job_configuration": {"command": "{{ command }}", "env": "{{ env }}", "x": "{{ prefect.y }}"},
    "variables": {
        "type": "object",
        "properties": {
            "command": {"type": "string", "default": "python"},
            "env": {"type": "object", "default": {"A": "1"}},
            "cpu": {"type": "integer", "minimum": 1},
            "queue": {"type": "string"},
        },
        "required": ["queue"],
    },
}


def test_defaults_then_deployment_then_run_win_key_by_key() -> None:
    merged = merge_job_variables(TEMPLATE, {"cpu": 2, "env": {"B": "2"}}, {"cpu": 4})
    assert merged == {"command": "python", "env": {"B": "2"}, "cpu": 4}


def test_layers_may_be_missing() -> None:
    assert merge_job_variables(None, None, {"a": 1}) == {"a": 1}
    assert template_defaults({}) == {}
    assert merge_parameters({"x": 1, "y": 2}, None, {"y": 3}) == {"x": 1, "y": 3}


@pytest.mark.parametrize(
    ("values", "require", "named"),
    [
        ({"memory": 1}, False, "memory: is not a known key"),
        ({"cpu": "two"}, False, "cpu: 'two' is not of type 'integer'"),
        ({"cpu": 0}, False, "cpu: 0 is less than the minimum of 1"),
        ({}, True, "queue: is required"),
    ],
)
def test_invalid_job_variables_name_the_key(values: dict, require: bool, named: str) -> None:
    with pytest.raises(Invalid) as caught:
        validate_job_variables(TEMPLATE, values, require=require, pool_name="p")
    assert named in caught.value.detail
    assert "work pool 'p'" in caught.value.detail


def test_required_job_variables_are_only_checked_when_asked() -> None:
    validate_job_variables(TEMPLATE, {"cpu": 2}, require=False)
    validate_job_variables(TEMPLATE, {"queue": "q"}, require=True)


def test_template_without_schema_accepts_anything() -> None:
    validate_job_variables({}, {"whatever": object()}, require=True)
    validate_parameters(None, {"anything": 1}, require=True)


def test_valid_template_passes() -> None:
    validate_base_job_template(TEMPLATE)
    validate_base_job_template({})


@pytest.mark.parametrize(
    ("template", "named"),
    [
        ({"variables": {}}, "'job_configuration'"),
        (
            {
                "job_configuration": {},
                "variables": {"properties": {"n": {"type": "integer", "default": "x"}}},
            },
            "variables.properties.n.default",
        ),
        ({"job_configuration": {"a": ["{{ image }}"]}, "variables": {"properties": {}}}, "image"),
        ({"job_configuration": {}, "variables": {"type": "nonsense"}}, "not a valid JSON schema"),
        ({"job_configuration": [], "variables": {}}, "job_configuration: must be an object"),
    ],
)
def test_bad_templates_are_refused_naming_the_field(template: dict, named: str) -> None:
    with pytest.raises(Invalid) as caught:
        validate_base_job_template(template)
    assert named in caught.value.detail


def test_parameters_unknown_invalid_and_missing() -> None:
    schema = {
        "type": "object",
        "properties": {
            "n": {"type": "integer"},
            "items": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["n"],
    }
    with pytest.raises(Invalid) as caught:
        validate_parameters(schema, {"m": 1, "items": ["a", 2]}, require=True)
    detail = caught.value.detail
    assert "m: is not a known key" in detail
    assert "items.1: 2 is not of type 'string'" in detail
    assert "n: is required" in detail
    validate_parameters(schema, {"items": []}, require=False)


def test_parameter_schema_with_definitions_resolves_refs() -> None:
    schema = {
        "type": "object",
        "properties": {"cfg": {"$ref": "#/definitions/Cfg"}},
        "definitions": {"Cfg": {"type": "object", "properties": {"k": {"type": "integer"}}}},
    }
    validate_parameters(schema, {"cfg": {"k": 1}}, require=True)
    with pytest.raises(Invalid, match=r"cfg\.k"):
        validate_parameters(schema, {"cfg": {"k": "x"}}, require=True)
