"""Job configurations from a work pool's base job template. Pure functions.

A template is ``{"job_configuration": {...}, "variables": <JSON schema>}``. The job
variables of a run are merged in three layers, later ones winning key by key (a nested
object such as ``env`` is replaced whole):

    template defaults  ->  deployment job_variables  ->  flow run job_variables

and then put into the job configuration: a string that is exactly ``"{{ name }}"``
takes the variable's value as it is (an object, a number, ``None``); a placeholder
inside a longer string is replaced by the value's text (nothing for ``None``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from podium.schemas.work_pools import merge_job_variables, template_defaults

__all__ = ["merge_job_variables", "render_job_configuration", "template_defaults"]


_PLACEHOLDER = re.compile(r"{{\s*([\w.\-]+)\s*}}")


def render_job_configuration(
    base_job_template: Mapping[str, Any] | None, variables: Mapping[str, Any]
) -> dict[str, Any]:
    """The template's ``job_configuration`` with its placeholders filled from ``variables``.

    Without a ``job_configuration``, the variables themselves are the configuration.
    """
    configuration = (base_job_template or {}).get("job_configuration")
    if not configuration:
        return dict(variables)
    rendered = _render(configuration, variables)
    assert isinstance(rendered, dict)
    return rendered


def _render(value: Any, variables: Mapping[str, Any]) -> Any:
    if isinstance(value, str):
        whole = _PLACEHOLDER.fullmatch(value.strip())
        if whole:
            return variables.get(whole.group(1))
        return _PLACEHOLDER.sub(lambda m: _text(variables.get(m.group(1))), value)
    if isinstance(value, Mapping):
        return {key: _render(item, variables) for key, item in value.items()}
    if isinstance(value, list):
        return [_render(item, variables) for item in value]
    return value


def _text(value: Any) -> str:
    return "" if value is None else str(value)
