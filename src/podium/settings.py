"""Settings: the ``PODIUM_*`` environment variables and profiles.

Precedence, highest first: environment variables, the active profile in
``$PODIUM_HOME/profiles.toml``, then defaults. ``PODIUM_PROFILE`` (or the
file's ``active`` key) picks the profile.
"""

from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

ENV_PREFIX = "PODIUM_"
DEFAULT_PROFILE = "default"


def default_home() -> Path:
    return Path(os.environ.get("PODIUM_HOME") or Path.home() / ".podium").expanduser()


class Settings(BaseSettings):
    """Every setting Podium reads; each maps to ``PODIUM_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    home: Path = Field(default_factory=default_home, description="Where Podium keeps its files.")
    api_url: str | None = Field(
        default=None, description="URL of a Podium server; unset means the embedded server."
    )
    api_auth_string: SecretStr | None = Field(
        default=None, description="'user:password' the server requires and the client sends."
    )
    server_host: str = Field(default="127.0.0.1", description="Address the server binds.")
    server_port: int = Field(default=4200, ge=1, le=65535, description="Port the server binds.")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; unset means SQLite at $PODIUM_HOME/podium.db.",
    )
    database_timeout: float = Field(
        default=60.0, gt=0, description="Seconds a write may wait for the SQLite writer."
    )
    logging_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        default="INFO", description="Level of Podium's own and run loggers."
    )
    api_request_retries: int = Field(
        default=5, ge=0, description="Client retries on connection errors, 5xx and 429."
    )
    api_request_timeout: float = Field(
        default=60.0, gt=0, description="Seconds the HTTP client waits for an answer."
    )
    services_enabled: bool = Field(
        default=True,
        description="Run the server's loop services (scheduler, late runs, crash detection...).",
    )
    scheduler_loop_seconds: float = Field(
        default=60.0, gt=0, description="Seconds between two passes of the scheduler."
    )
    scheduler_max_runs: int = Field(
        default=100, ge=1, description="Most runs the scheduler keeps ahead per schedule."
    )
    scheduler_min_runs: int = Field(
        default=3, ge=0, description="Fewest runs the scheduler keeps ahead per schedule."
    )
    scheduler_max_scheduled_time: float = Field(
        default=100.0, gt=0, description="Days ahead the scheduler creates runs for."
    )
    services_loop_seconds: float = Field(
        default=5.0,
        gt=0,
        description="Seconds between passes of late runs, crash detection, cancellation cleanup "
        "and worker status.",
    )
    late_runs_after_seconds: float = Field(
        default=15.0, ge=0, description="Seconds past its time after which a run is Late."
    )
    heartbeat_timeout_seconds: float = Field(
        default=90.0, gt=0, description="Seconds without a heartbeat after which a run Crashed."
    )
    cancelling_timeout_seconds: float = Field(
        default=300.0, gt=0, description="Seconds a run may stay Cancelling before Cancelled."
    )
    worker_heartbeat_seconds: float = Field(
        default=30.0,
        gt=0,
        description="Heartbeat interval assumed for workers that do not send one; a worker "
        "missing three is offline.",
    )

    @field_validator("logging_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.home / 'podium.db'}"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, ProfileSource(settings_cls))


def setting_names() -> list[str]:
    """The ``PODIUM_*`` names of every setting."""
    return [ENV_PREFIX + name.upper() for name in Settings.model_fields]


# --- profiles -----------------------------------------------------------------


def profiles_path(home: Path | None = None) -> Path:
    return (home or default_home()) / "profiles.toml"


class ProfilesFile:
    """The profiles file: ``active = "name"`` and ``[profiles.<name>]`` tables."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or profiles_path()
        self.active: str = DEFAULT_PROFILE
        self.profiles: dict[str, dict[str, str]] = {DEFAULT_PROFILE: {}}
        if self.path.exists():
            data = tomllib.loads(self.path.read_text())
            self.active = str(data.get("active", DEFAULT_PROFILE))
            for name, values in data.get("profiles", {}).items():
                self.profiles[name] = {str(k): str(v) for k, v in values.items()}

    def current_name(self) -> str:
        return os.environ.get("PODIUM_PROFILE") or self.active

    def current(self) -> dict[str, str]:
        return self.profiles.get(self.current_name(), {})

    def save(self) -> None:
        lines = [f"active = {_toml_str(self.active)}", ""]
        for name, values in self.profiles.items():
            lines.append(f"[profiles.{_toml_str(name)}]")
            lines.extend(f"{key} = {_toml_str(value)}" for key, value in sorted(values.items()))
            lines.append("")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".toml.tmp")
        tmp.write_text("\n".join(lines))
        tmp.replace(self.path)


def _toml_str(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


class ProfileSource(PydanticBaseSettingsSource):
    """Reads the active profile's ``PODIUM_*`` values."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        raise NotImplementedError  # __call__ is overridden

    def __call__(self) -> dict[str, Any]:
        values = ProfilesFile().current()
        out: dict[str, Any] = {}
        for key, value in values.items():
            name = key.upper().removeprefix(ENV_PREFIX).lower()
            if name in Settings.model_fields:
                out[name] = value
        return out


@lru_cache(maxsize=1)
def _cached_settings(_key: tuple[tuple[str, str], ...]) -> Settings:
    return Settings()


def get_settings() -> Settings:
    """The current settings; re-read when a ``PODIUM_*`` variable changes."""
    return _cached_settings(_environment_key())


_last_environment: tuple[dict[Any, Any], tuple[tuple[Any, Any], ...]] | None = None


def _environment_key() -> tuple[tuple[Any, Any], ...]:
    """The ``PODIUM_*`` variables, as the key the settings are cached under.

    The engine asks for the settings several times per flow run and once per log
    record; decoding and filtering every variable each time cost more than the rest of
    its work. The environment's encoded mapping is compared whole with the one seen last
    (one comparison in C), and filtered again only when it changed.
    """
    global _last_environment
    data = getattr(os.environ, "_data", None)
    if not isinstance(data, dict):
        return tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith(ENV_PREFIX)))
    last = _last_environment
    if last is not None and last[0] == data:
        return last[1]
    prefix = os.environ.encodekey(ENV_PREFIX)
    key = tuple(sorted(item for item in data.items() if item[0].startswith(prefix)))
    _last_environment = (dict(data), key)
    return key


def clear_settings_cache() -> None:
    """Forget cached settings (after the profiles file changes)."""
    _cached_settings.cache_clear()
