"""``podium profile``: create, list, switch, inspect and delete profiles."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from typer.testing import Result

from podium.settings import ProfilesFile, get_settings

Invoke = Callable[..., Result]  # the ``cli`` fixture of tests/cli/conftest.py


def test_ls_marks_the_active_profile(cli: Invoke) -> None:
    assert cli("profile", "ls").stdout.splitlines() == ["* default"]
    cli("profile", "create", "staging")
    assert cli("profile", "ls").stdout.splitlines() == ["* default", "  staging"]


def test_create_use_and_set_go_into_the_active_profile(cli: Invoke) -> None:
    cli("config", "set", "PODIUM_SERVER_PORT=8001")
    cli("profile", "create", "dev")
    result = cli("profile", "use", "dev")
    assert "Profile 'dev' is now active" in result.stdout
    assert cli("profile", "ls").stdout.splitlines() == ["  default", "* dev"]
    assert get_settings().server_port == 4200  # dev starts empty

    cli("config", "set", "PODIUM_SERVER_PORT=8002")
    profiles = ProfilesFile()
    assert profiles.active == "dev"
    assert profiles.profiles["dev"] == {"PODIUM_SERVER_PORT": "8002"}
    assert profiles.profiles["default"] == {"PODIUM_SERVER_PORT": "8001"}
    assert get_settings().server_port == 8002

    cli("profile", "use", "default")
    assert get_settings().server_port == 8001


def test_create_from_copies_settings(cli: Invoke) -> None:
    cli("config", "set", "PODIUM_API_URL=http://a/api")
    result = cli("profile", "create", "copy", "--from", "default")
    assert "from 'default'" in result.stdout
    assert ProfilesFile().profiles["copy"] == {"PODIUM_API_URL": "http://a/api"}
    result = cli("profile", "create", "other", "--from", "missing", code=1)
    assert "Profile 'missing' not found" in result.stderr


def test_create_an_existing_profile_fails(cli: Invoke) -> None:
    cli("profile", "create", "dev")
    result = cli("profile", "create", "dev", code=1)
    assert "Profile 'dev' already exists" in result.stderr


def test_use_an_unknown_profile_fails_naming_it(cli: Invoke) -> None:
    result = cli("profile", "use", "nope", code=1)
    assert "Profile 'nope' not found" in result.stderr
    assert ProfilesFile().active == "default"


def test_delete(cli: Invoke) -> None:
    cli("profile", "create", "dev")
    assert "Deleted profile 'dev'" in cli("profile", "delete", "dev").stdout
    assert "dev" not in ProfilesFile().profiles
    result = cli("profile", "delete", "dev", code=1)
    assert "Profile 'dev' not found" in result.stderr


def test_the_active_profile_cannot_be_deleted(cli: Invoke) -> None:
    result = cli("profile", "delete", "default", code=1)
    assert "Profile 'default' is active" in result.stderr


def test_inspect(cli: Invoke) -> None:
    assert "Profile 'default' is empty" in cli("profile", "inspect").stdout
    cli("config", "set", "PODIUM_API_URL=http://a/api", "PODIUM_API_AUTH_STRING=u:secret")
    cli("profile", "create", "dev")
    text = cli("profile", "inspect", "default").stdout
    assert "PODIUM_API_URL='http://a/api'" in text
    assert "secret" not in text
    data = json.loads(cli("profile", "inspect", "--output", "json").stdout)
    assert data == {"PODIUM_API_AUTH_STRING": "********", "PODIUM_API_URL": "http://a/api"}
    assert json.loads(cli("profile", "inspect", "dev", "-o", "json").stdout) == {}
    result = cli("profile", "inspect", "nope", code=1)
    assert "Profile 'nope' not found" in result.stderr


def test_podium_profile_variable_overrides_the_file(
    cli: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli("profile", "create", "ci")
    monkeypatch.setenv("PODIUM_PROFILE", "ci")
    assert "* ci" in cli("profile", "ls").stdout
    cli("config", "set", "PODIUM_SERVER_PORT=8009")
    assert ProfilesFile().profiles["ci"] == {"PODIUM_SERVER_PORT": "8009"}
    result = cli("profile", "use", "default")
    assert "PODIUM_PROFILE='ci' is set and takes precedence" in result.stderr


def test_config_set_into_a_missing_active_profile_fails(
    cli: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PODIUM_PROFILE", "ghost")
    result = cli("config", "set", "PODIUM_SERVER_PORT=8009", code=1)
    assert "The active profile 'ghost' (from PODIUM_PROFILE) does not exist" in result.stderr
