"""Run ``podium`` commands in-process with typer's CliRunner."""

from __future__ import annotations

import traceback
from collections.abc import Callable

import pytest
from typer.testing import CliRunner, Result

from podium.cli import app

Invoke = Callable[..., Result]


@pytest.fixture
def cli() -> Invoke:
    """``cli("config", "view", code=0)``: run a command and check its exit code."""
    runner = CliRunner()

    def invoke(*args: str, code: int = 0, input: str | None = None) -> Result:
        result = runner.invoke(app, list(args), input=input)
        if result.exit_code != code:
            trace = ""
            if result.exc_info is not None and not isinstance(result.exception, SystemExit):
                trace = "".join(traceback.format_exception(*result.exc_info))
            pytest.fail(
                f"podium {' '.join(args)} exited {result.exit_code}, expected {code}\n"
                f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}\n{trace}"
            )
        return result

    return invoke
