"""``podium server database``: upgrade and reset the configured database."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from podium.client import get_client
from podium.client._embedded import EmbeddedServer
from podium.exceptions import ObjectNotFound

Invoke = Callable[..., Result]  # the ``cli`` fixture of tests/cli/conftest.py


def _create_run() -> str:
    with get_client(sync_client=True) as client:
        run_id = client.create_flow_run("kept").id
    # The embedded server holds the database open: let the CLI work on it alone.
    EmbeddedServer.close_all()
    return str(run_id)


def _run_exists(run_id: str) -> bool:
    with get_client(sync_client=True) as client:
        try:
            client.read_flow_run(run_id)  # type: ignore[arg-type]
        except ObjectNotFound:
            return False
    return True


def test_upgrade_creates_the_sqlite_database(cli: Invoke, podium_home: Path) -> None:
    result = cli("server", "database", "upgrade")
    assert "is at revision" in result.stdout
    assert (podium_home / "podium.db").exists()
    cli("server", "database", "upgrade", "--yes")  # idempotent, accepts -y


def test_reset_asks_first(cli: Invoke) -> None:
    run_id = _create_run()
    result = cli("server", "database", "reset", input="n\n", code=1)
    assert "Delete all data in" in result.stdout
    assert "nothing was changed" in result.stderr
    assert _run_exists(run_id)


def test_reset_with_confirmation_or_yes(cli: Invoke) -> None:
    run_id = _create_run()
    cli("server", "database", "reset", input="y\n")
    assert not _run_exists(run_id)
    run_id = _create_run()
    result = cli("server", "database", "reset", "--yes")
    assert "was reset" in result.stdout
    assert not _run_exists(run_id)


def test_database_errors_are_reported_without_traceback(
    cli: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PODIUM_DATABASE_URL", "postgresql+asyncpg://nobody:pw@127.0.0.1:1/none")
    result = cli("server", "database", "upgrade", code=1)
    assert "Database postgresql+asyncpg://nobody:***@127.0.0.1:1/none failed" in result.stderr
    assert "pw" not in result.stderr.replace("postgresql", "")
    assert "Traceback" not in result.output
