"""Job variables merged into a job configuration (pure functions)."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from podium.workers import PROCESS_BASE_JOB_TEMPLATE, ProcessJobConfiguration, ProcessWorker
from podium.workers._templates import (
    merge_job_variables,
    render_job_configuration,
    template_defaults,
)

TEMPLATE: dict[str, Any] = {
    "job_configuration": {
        "command": "{{ command }}",
        "env": "{{ env }}",
        "name": "job-{{ name }}-{{ missing }}",
        "nested": {"list": ["{{ cpu }}", "x"], "cpu": "{{cpu}}"},
        "fixed": 3,
    },
    "variables": {
        "properties": {
            "command": {"type": "string"},
            "env": {"type": "object", "default": {"A": "1"}},
            "name": {"type": "string", "default": "n"},
            "cpu": {"type": "integer", "default": 2},
        }
    },
}


def test_layers_win_in_order_and_objects_are_replaced_whole() -> None:
    merged = merge_job_variables(TEMPLATE, {"env": {"B": "2"}, "cpu": 4}, {"cpu": 8})

    assert merged == {"env": {"B": "2"}, "name": "n", "cpu": 8}


def test_rendering_keeps_whole_values_and_fills_text() -> None:
    variables = merge_job_variables(TEMPLATE, {"command": "run it"})

    rendered = render_job_configuration(TEMPLATE, variables)

    assert rendered == {
        "command": "run it",
        "env": {"A": "1"},
        "name": "job-n-",
        "nested": {"list": [2, "x"], "cpu": 2},
        "fixed": 3,
    }


def test_no_job_configuration_means_the_variables_are_the_configuration() -> None:
    assert render_job_configuration({}, {"a": 1}) == {"a": 1}
    assert template_defaults(None) == {}


@given(st.dictionaries(st.sampled_from(["command", "name", "cpu", "x"]), st.integers()))
def test_the_last_layer_always_wins(layer: dict[str, int]) -> None:
    merged = merge_job_variables(TEMPLATE, {"cpu": -1, "name": "d"}, layer)
    for key, value in layer.items():
        assert merged[key] == value


def test_the_process_template_mirrors_the_process_variables() -> None:
    template = ProcessWorker.get_default_base_job_template()
    assert template == PROCESS_BASE_JOB_TEMPLATE and template is not PROCESS_BASE_JOB_TEMPLATE
    names = set(template["variables"]["properties"])
    assert names == {"command", "env", "labels", "name", "stream_output", "working_dir"}

    rendered = render_job_configuration(template, merge_job_variables(template, {"env": {}}))
    configuration = ProcessJobConfiguration.model_validate(
        {k: v for k, v in rendered.items() if v is not None}
    )
    assert configuration.stream_output is True
    assert configuration.command is None and configuration.working_dir is None
