"""``podium profile``: named sets of settings in ``$PODIUM_HOME/profiles.toml``.

One profile is active: the file's ``active`` key, unless ``PODIUM_PROFILE``
names another. ``podium config set`` writes into the active profile.
"""

from __future__ import annotations

import os

import typer

from podium.cli._output import (
    OUTPUT_OPTION_HELP,
    OutputFormat,
    console,
    exit_with_error,
    print_json,
    warn,
)
from podium.cli.config import SECRET_MASK, is_secret
from podium.settings import ENV_PREFIX, ProfilesFile, Settings, clear_settings_cache

app = typer.Typer(name="profile", no_args_is_help=True, add_completion=False)


@app.callback()
def profile() -> None:
    """Create, switch between and inspect profiles."""


def existing(profiles: ProfilesFile, name: str) -> dict[str, str]:
    """The settings of profile ``name``; exit with an error if there is none."""
    if name not in profiles.profiles:
        known = ", ".join(repr(p) for p in sorted(profiles.profiles))
        exit_with_error(f"Profile {name!r} not found. Profiles: {known}.")
    return profiles.profiles[name]


def save(profiles: ProfilesFile) -> None:
    """Write the profiles file; settings read afterwards in this process see it."""
    profiles.save()
    clear_settings_cache()


def masked(key: str, value: str) -> str:
    field = key.upper().removeprefix(ENV_PREFIX).lower()
    if field in Settings.model_fields and is_secret(field):
        return SECRET_MASK
    return value


@app.command("ls")
def ls() -> None:
    """List profiles; the active one is marked with ``*``."""
    profiles = ProfilesFile()
    current = profiles.current_name()
    names = sorted(profiles.profiles)
    if current not in profiles.profiles:
        warn(f"The active profile {current!r} (from PODIUM_PROFILE) does not exist.")
    for name in names:
        marker = "*" if name == current else " "
        typer.echo(f"{marker} {name}")


@app.command()
def create(
    name: str = typer.Argument(..., help="Name of the new profile.", show_default=False),
    from_: str | None = typer.Option(
        None, "--from", help="Copy the settings of this existing profile.", show_default=False
    ),
) -> None:
    """Create a new, empty profile (or a copy of another with ``--from``)."""
    if not name.strip():
        exit_with_error("A profile name cannot be empty.")
    profiles = ProfilesFile()
    if name in profiles.profiles:
        exit_with_error(f"Profile {name!r} already exists.")
    source = dict(existing(profiles, from_)) if from_ is not None else {}
    profiles.profiles[name] = source
    save(profiles)
    console.print(f"Created profile {name!r}" + (f" from {from_!r}." if from_ else "."))
    console.print(f"Switch to it with: podium profile use {name}")


@app.command()
def use(name: str = typer.Argument(..., help="Profile to activate.", show_default=False)) -> None:
    """Make a profile the active one."""
    profiles = ProfilesFile()
    existing(profiles, name)
    profiles.active = name
    save(profiles)
    console.print(f"Profile {name!r} is now active.")
    env_profile = os.environ.get("PODIUM_PROFILE")
    if env_profile and env_profile != name:
        warn(f"PODIUM_PROFILE={env_profile!r} is set and takes precedence in this shell.")


@app.command()
def delete(
    name: str = typer.Argument(..., help="Profile to delete.", show_default=False),
) -> None:
    """Delete a profile (not the active one)."""
    profiles = ProfilesFile()
    existing(profiles, name)
    if name in (profiles.active, profiles.current_name()):
        exit_with_error(
            f"Profile {name!r} is active; switch to another with `podium profile use` first."
        )
    del profiles.profiles[name]
    save(profiles)
    console.print(f"Deleted profile {name!r}.")


@app.command()
def inspect(
    name: str | None = typer.Argument(
        None, help="Profile to show; the active one by default.", show_default=False
    ),
    output: OutputFormat | None = typer.Option(None, "--output", "-o", help=OUTPUT_OPTION_HELP),
) -> None:
    """Show the settings a profile sets."""
    profiles = ProfilesFile()
    name = name or profiles.current_name()
    values = {key: masked(key, value) for key, value in sorted(existing(profiles, name).items())}
    if output == OutputFormat.json:
        print_json(values)
        return
    if not values:
        console.print(f"Profile {name!r} is empty.")
        return
    for key, value in values.items():
        typer.echo(f"{key}='{value}'")
