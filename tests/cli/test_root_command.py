"""``podium`` itself: ``version``, help, start-up cost, and the reference docs."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import Result

from podium._version import API_VERSION, __version__
from podium.cli import app
from podium.settings import Settings

Invoke = Callable[..., Result]  # the ``cli`` fixture of tests/cli/conftest.py

DOCS = Path(__file__).parents[2] / "docs"


def test_version(cli: Invoke) -> None:
    text = cli("version").stdout
    assert re.search(rf"^Version:\s+{re.escape(__version__)}$", text, re.M)
    assert re.search(rf"^API version:\s+{re.escape(API_VERSION)}$", text, re.M)
    assert re.search(r"^Python version:\s+3\.\d+", text, re.M)
    assert re.search(r"^Server type:\s+embedded$", text, re.M)
    assert re.search(r"^Database:\s+sqlite$", text, re.M)


def test_version_with_a_server_and_postgres(cli: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PODIUM_API_URL", "http://10.0.0.1:4200/api")
    monkeypatch.setenv("PODIUM_DATABASE_URL", "postgresql+asyncpg://u@h/db")
    text = cli("version").stdout
    assert re.search(r"^API URL:\s+http://10.0.0.1:4200/api$", text, re.M)
    assert re.search(r"^Server type:\s+server", text, re.M)
    assert re.search(r"^Database:\s+postgresql$", text, re.M)


def test_help_lists_every_group(cli: Invoke) -> None:
    text = cli("--help").stdout
    for group in ("config", "flow", "flow-run", "profile", "server", "version"):
        assert group in text
    assert "Usage" in cli("flow-run", "-h").stdout


def test_version_does_not_load_the_client_or_the_server() -> None:
    """Commands that need no API must not pay for importing the server."""
    script = (
        "import sys\n"
        "from podium.cli import main\n"
        "sys.argv = ['podium', 'version']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('podium.client', 'podium.server.app', 'uvicorn', 'sqlalchemy')"
        " if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert "HEAVY []" in out


def _commands(command: object, prefix: str = "podium") -> list[str]:
    subcommands = getattr(command, "commands", None)
    if not subcommands:
        return [prefix]
    group = command
    names = group.list_commands(None)  # type: ignore[attr-defined]
    found: list[str] = []
    for name in names:
        sub = group.get_command(None, name)  # type: ignore[attr-defined]
        found.extend(_commands(sub, f"{prefix} {name}"))
    return found


def test_cli_reference_documents_every_command() -> None:
    text = (DOCS / "cli.md").read_text()
    missing = [name for name in _commands(get_command(app)) if f"`{name}" not in text]
    assert not missing, f"docs/cli.md does not document: {missing}"


def test_configuration_reference_documents_every_setting() -> None:
    text = (DOCS / "configuration.md").read_text()
    names = [f"PODIUM_{name.upper()}" for name in Settings.model_fields]
    missing = [name for name in names if f"`{name}`" not in text]
    assert not missing, f"docs/configuration.md does not document: {missing}"
