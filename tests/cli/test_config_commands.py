"""``podium config``: view, set and unset settings in the active profile."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from typer.testing import Result

from podium.settings import ProfilesFile, get_settings

Invoke = Callable[..., Result]  # the ``cli`` fixture of tests/cli/conftest.py


def test_set_view_unset_round_trip(cli: Invoke) -> None:
    result = cli("config", "set", "PODIUM_API_URL=http://127.0.0.1:4300/api")
    assert "PODIUM_API_URL" in result.stdout
    assert ProfilesFile().current() == {"PODIUM_API_URL": "http://127.0.0.1:4300/api"}
    assert get_settings().api_url == "http://127.0.0.1:4300/api"

    view = cli("config", "view").stdout
    assert "PODIUM_PROFILE='default'" in view
    assert "PODIUM_API_URL='http://127.0.0.1:4300/api' (from profile)" in view

    cli("config", "unset", "PODIUM_API_URL")
    assert ProfilesFile().current() == {}
    assert get_settings().api_url is None
    assert "PODIUM_API_URL" not in cli("config", "view").stdout


def test_set_several_values_and_parse_them(cli: Invoke) -> None:
    cli("config", "set", "podium_server_port=8123", "PODIUM_LOGGING_LEVEL=debug")
    settings = get_settings()
    assert settings.server_port == 8123
    assert settings.logging_level == "DEBUG"
    assert ProfilesFile().current()["PODIUM_SERVER_PORT"] == "8123"


def test_set_replaces_a_value_spelled_in_another_case(cli: Invoke) -> None:
    profiles = ProfilesFile()
    profiles.profiles["default"]["podium_server_port"] = "8000"
    profiles.save()
    cli("config", "set", "PODIUM_SERVER_PORT=8001")
    assert ProfilesFile().current() == {"PODIUM_SERVER_PORT": "8001"}


def test_unknown_setting_name_is_named_with_a_suggestion(cli: Invoke) -> None:
    result = cli("config", "set", "PODIUM_API_URLL=http://x", code=1)
    assert "Unknown setting 'PODIUM_API_URLL'" in result.stderr
    assert "Did you mean PODIUM_API_URL?" in result.stderr
    assert "Traceback" not in result.output
    assert ProfilesFile().current() == {}


def test_name_outside_the_podium_prefix_is_refused(cli: Invoke) -> None:
    result = cli("config", "set", "HOME=/tmp", code=1)
    assert "Unknown setting 'HOME'" in result.stderr


@pytest.mark.parametrize(
    ("assignment", "reason"),
    [
        ("PODIUM_SERVER_PORT=abc", "valid integer"),
        ("PODIUM_SERVER_PORT=70000", "less than or equal to 65535"),
        ("PODIUM_LOGGING_LEVEL=LOUD", "'DEBUG'"),
        ("PODIUM_DATABASE_TIMEOUT=-1", "greater than 0"),
    ],
)
def test_invalid_value_names_the_setting(cli: Invoke, assignment: str, reason: str) -> None:
    name, _, value = assignment.partition("=")
    result = cli("config", "set", "PODIUM_API_URL=http://ok", assignment, code=1)
    assert f"Invalid value {value!r} for {name}" in result.stderr
    assert reason in result.stderr
    # Nothing is written when any of the values is invalid.
    assert ProfilesFile().current() == {}


def test_set_needs_name_equals_value(cli: Invoke) -> None:
    result = cli("config", "set", "PODIUM_API_URL", code=1)
    assert "Expected NAME=VALUE, got 'PODIUM_API_URL'" in result.stderr


def test_unset_a_setting_the_profile_does_not_set(cli: Invoke) -> None:
    result = cli("config", "unset", "PODIUM_API_URL", code=1)
    assert "PODIUM_API_URL is not set in profile 'default'" in result.stderr
    result = cli("config", "unset", "PODIUM_NOT_A_SETTING", code=1)
    assert "Unknown setting 'PODIUM_NOT_A_SETTING'" in result.stderr


def test_environment_takes_precedence_over_profile(
    cli: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli("config", "set", "PODIUM_SERVER_PORT=8100")
    monkeypatch.setenv("PODIUM_SERVER_PORT", "8200")
    assert get_settings().server_port == 8200
    view = cli("config", "view").stdout
    assert "PODIUM_SERVER_PORT='8200' (from env)" in view

    result = cli("config", "set", "PODIUM_SERVER_PORT=8300")
    assert "takes precedence" in result.stderr
    monkeypatch.delenv("PODIUM_SERVER_PORT")
    assert get_settings().server_port == 8300


def test_view_defaults_and_sources(cli: Invoke) -> None:
    view = cli("config", "view").stdout
    assert "PODIUM_SERVER_PORT" not in view
    view = cli("config", "view", "--show-defaults").stdout
    assert "PODIUM_SERVER_PORT='4200' (from defaults)" in view
    assert "PODIUM_DATABASE_URL=None (from defaults)" in view
    assert "(from env)" in view  # PODIUM_HOME, set by the test fixture
    bare = cli("config", "view", "--show-defaults", "--hide-sources").stdout
    assert "PODIUM_SERVER_PORT='4200'\n" in bare
    assert "(from" not in bare


def test_secrets_are_masked_unless_asked(cli: Invoke) -> None:
    result = cli("config", "set", "PODIUM_API_AUTH_STRING=admin:s3cret")
    assert "s3cret" not in result.output
    assert "s3cret" not in cli("config", "view").stdout
    assert "PODIUM_API_AUTH_STRING='********' (from profile)" in cli("config", "view").stdout
    assert "admin:s3cret" in cli("config", "view", "--show-secrets").stdout
    assert get_settings().api_auth_string is not None


def test_view_warns_about_unknown_keys_in_the_profile(cli: Invoke) -> None:
    profiles = ProfilesFile()
    profiles.profiles["default"]["PODIUM_TYPO"] = "1"
    profiles.save()
    result = cli("config", "view")
    assert "unknown setting 'PODIUM_TYPO'" in result.stderr


def test_invalid_setting_in_environment_is_reported_without_traceback(
    cli: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PODIUM_SERVER_PORT", "not-a-port")
    result = cli("version", code=1)
    assert "Invalid setting: PODIUM_SERVER_PORT" in result.stderr
    assert "Traceback" not in result.output


def test_broken_profiles_file_is_reported_without_traceback(cli: Invoke) -> None:
    ProfilesFile().path.write_text("active = [unclosed")
    for command in (("version",), ("config", "view"), ("profile", "ls")):
        result = cli(*command, code=1)
        assert "profiles.toml is not valid TOML" in result.stderr
        assert "Traceback" not in result.output
