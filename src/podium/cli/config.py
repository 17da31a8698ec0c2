"""``podium config``: view the settings in effect, set and unset them in the active profile.

A setting's value comes from, highest first: its ``PODIUM_*`` environment
variable, the active profile in ``$PODIUM_HOME/profiles.toml``, its default.
``config set`` and ``config unset`` change the active profile only.
"""

from __future__ import annotations

import difflib
import os
from typing import Any

import typer
from pydantic import SecretStr, ValidationError

from podium.cli._output import console, exit_with_error, warn
from podium.settings import (
    ENV_PREFIX,
    ProfilesFile,
    Settings,
    clear_settings_cache,
    setting_names,
)

app = typer.Typer(name="config", no_args_is_help=True, add_completion=False)

SECRET_MASK = "********"


@app.callback()
def config() -> None:
    """View and change settings in the active profile."""


# --- helpers shared with ``podium profile`` ---------------------------------------


def field_name(setting: str) -> str:
    """The ``Settings`` field for a ``PODIUM_*`` name; exit with an error if unknown."""
    key = setting.strip().upper()
    field = key.removeprefix(ENV_PREFIX).lower()
    if key.startswith(ENV_PREFIX) and field in Settings.model_fields:
        return field
    close = difflib.get_close_matches(key, setting_names(), n=1, cutoff=0.8)
    hint = f"Did you mean {close[0]}?" if close else "See `podium config view --show-defaults`."
    exit_with_error(f"Unknown setting {setting!r}. {hint}")


def env_name(field: str) -> str:
    return ENV_PREFIX + field.upper()


def is_secret(field: str) -> bool:
    annotation = Settings.model_fields[field].annotation
    return annotation is not None and SecretStr in getattr(annotation, "__args__", (annotation,))


def validate_value(field: str, value: str) -> None:
    """Exit with an error naming the setting when ``value`` does not parse for it."""
    try:
        blank = Settings.model_construct()
        Settings.__pydantic_validator__.validate_assignment(blank, field, value)
    except ValidationError as exc:
        reasons = "; ".join(err["msg"] for err in exc.errors())
        shown = SECRET_MASK if is_secret(field) else repr(value)
        exit_with_error(f"Invalid value {shown} for {env_name(field)}: {reasons}.")


def shown_value(field: str, value: Any, show_secrets: bool = False) -> str:
    """A value as ``config view`` prints it: quoted, secrets masked."""
    if value is None:
        return "None"
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if is_secret(field) and not show_secrets:
        return f"'{SECRET_MASK}'"
    return f"'{value}'"


def drop_setting(profile: dict[str, str], key: str) -> bool:
    """Remove ``key`` from a profile, whatever case the file spells it in; True if found."""
    found = [name for name in profile if name.upper() == key]
    for name in found:
        del profile[name]
    return bool(found)


def editable_profiles() -> ProfilesFile:
    """The profiles file; exit with an error if the active profile does not exist."""
    profiles = ProfilesFile()
    name = profiles.current_name()
    if name not in profiles.profiles:
        exit_with_error(
            f"The active profile {name!r} (from PODIUM_PROFILE) does not exist. "
            f"Create it with `podium profile create {name}`."
        )
    return profiles


# --- commands -------------------------------------------------------------------


@app.command()
def view(
    show_defaults: bool = typer.Option(
        False, "--show-defaults/--hide-defaults", help="Also show settings left at their default."
    ),
    show_sources: bool = typer.Option(
        True, "--show-sources/--hide-sources", help="Say where each value comes from."
    ),
    show_secrets: bool = typer.Option(
        False, "--show-secrets/--hide-secrets", help="Show secret values instead of a mask."
    ),
) -> None:
    """Show the settings in effect and, with sources, where each comes from."""
    profiles = ProfilesFile()
    profile_name = profiles.current_name()
    profile = {key.upper(): value for key, value in profiles.current().items()}
    typer.echo(f"PODIUM_PROFILE='{profile_name}'")
    for field, info in Settings.model_fields.items():
        name = env_name(field)
        if name in os.environ:
            value, source = os.environ[name], "env"
        elif name in profile:
            value, source = profile[name], "profile"
        elif show_defaults:
            default = info.get_default(call_default_factory=True)
            value, source = default, "defaults"
        else:
            continue
        line = f"{name}={shown_value(field, value, show_secrets)}"
        typer.echo(f"{line} (from {source})" if show_sources else line)
    for key in sorted(set(profile) - set(setting_names())):
        warn(f"Profile {profile_name!r} sets unknown setting {key!r}; it is ignored.")


@app.command("set")
def set_(
    settings: list[str] = typer.Argument(
        ..., help="One or more NAME=VALUE pairs.", show_default=False
    ),
) -> None:
    """Set settings in the active profile, e.g. ``PODIUM_API_URL=http://127.0.0.1:4200/api``."""
    parsed: dict[str, str] = {}
    for item in settings:
        name, sep, value = item.partition("=")
        if not sep:
            exit_with_error(f"Expected NAME=VALUE, got {item!r}.")
        field = field_name(name)
        validate_value(field, value)
        parsed[field] = value
    profiles = editable_profiles()
    profile_name = profiles.current_name()
    profile = profiles.profiles[profile_name]
    for field, value in parsed.items():
        drop_setting(profile, env_name(field))
        profile[env_name(field)] = value
    profiles.save()
    clear_settings_cache()
    for field, value in parsed.items():
        name = env_name(field)
        console.print(f"Set {name!r} to {shown_value(field, value)}.")
        if name in os.environ:
            warn(f"{name} is also set in the environment, which takes precedence over the profile.")
    console.print(f"Updated profile {profile_name!r}.")


@app.command()
def unset(
    names: list[str] = typer.Argument(..., help="One or more setting names.", show_default=False),
) -> None:
    """Remove settings from the active profile (they fall back to their defaults)."""
    profiles = editable_profiles()
    profile_name = profiles.current_name()
    profile = profiles.profiles[profile_name]
    keys = [env_name(field_name(name)) for name in names]
    present = {name.upper() for name in profile}
    for key in keys:
        if key not in present:
            exit_with_error(f"{key} is not set in profile {profile_name!r}.")
    for key in keys:
        drop_setting(profile, key)
    profiles.save()
    clear_settings_cache()
    for key in keys:
        console.print(f"Unset {key!r}.")
        if key in os.environ:
            warn(f"{key} is still set in the environment, which takes precedence.")
    console.print(f"Updated profile {profile_name!r}.")
