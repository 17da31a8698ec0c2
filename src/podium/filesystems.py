"""Filesystems: where result records (and other files) are stored.

Two storages with Prefect's names, both with ``read_path(path) -> bytes``,
``write_path(path, content) -> str`` and ``exists(path) -> bool``; ``path`` is relative to
``basepath`` (an absolute path inside ``basepath`` is accepted too):

* :class:`LocalFileSystem` (``basepath`` a directory; ``None`` means the working directory).
* :class:`RemoteFileSystem` (``basepath`` an fsspec URL such as ``s3://bucket/prefix`` or
  ``memory://results``; ``settings`` are passed to ``fsspec.filesystem``).

``write_path`` is atomic where the backend allows it, so a concurrent reader sees either
the old content or the new, never a partial file:

* local: the bytes go to a uniquely named temporary file in the target's directory, which
  is then renamed over the target (``os.replace`` is atomic on POSIX and Windows). The file
  is not fsynced: atomicity against readers does not need it, and per-result cost matters.
* object stores (``s3``, ``gs``/``gcs``, ``az``/``abfs``, ``memory``, ...): one whole-object
  put, which these stores publish atomically.
* other fsspec backends (``sftp``, ``smb``, ``hdfs``, ...): a temporary file next to the
  target, then ``fs.mv``; this is atomic only if the backend's rename is.

:func:`resolve_storage` turns a ``result_storage`` option (a path, an fsspec URL, a
filesystem, or ``None`` for ``$PODIUM_HOME/storage``) into a filesystem. Each filesystem's
``base_url()`` is a string that :func:`resolve_storage` maps back to the same place, which
is how another process finds a stored result (credentials in ``settings`` are not part of
it: the reading process supplies its own, e.g. through the environment).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

from podium.settings import get_settings

if TYPE_CHECKING:
    import fsspec

__all__ = [
    "LocalFileSystem",
    "ReadableFileSystem",
    "RemoteFileSystem",
    "WritableFileSystem",
    "resolve_storage",
]

# Backends whose single-object writes become visible all at once.
_OBJECT_STORES = frozenset(
    {"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "adl", "memory", "oci", "r2"}
)


@runtime_checkable
class ReadableFileSystem(Protocol):
    """Anything that can read bytes at a path."""

    def read_path(self, path: str) -> bytes: ...


@runtime_checkable
class WritableFileSystem(ReadableFileSystem, Protocol):
    """Anything that can read and write bytes at a path."""

    def write_path(self, path: str, content: bytes) -> str: ...


def _temp_name(name: str) -> str:
    return f".{name}.{uuid.uuid4().hex}.tmp"


class LocalFileSystem(BaseModel):
    """Files in a local directory.

    Args:
        basepath: the directory paths are relative to; ``None`` means the current
            working directory. ``~`` is expanded.
    """

    model_config = ConfigDict(extra="forbid")

    basepath: str | None = None

    @field_validator("basepath", mode="before")
    @classmethod
    def _expand(cls, value: Any) -> Any:
        if isinstance(value, Path | str) and str(value).startswith("file://"):
            value = str(value)[len("file://") :]
        return str(Path(value).expanduser()) if isinstance(value, Path | str) else value

    def base_url(self) -> str:
        """The absolute base directory (what :func:`resolve_storage` maps back to this)."""
        return str(Path(self.basepath or ".").resolve())

    def _resolve_path(self, path: str | Path) -> Path:
        base = Path(self.base_url())
        target = Path(path).expanduser()
        resolved = (target if target.is_absolute() else base / target).resolve()
        if self.basepath is not None and not resolved.is_relative_to(base):
            raise ValueError(f"Path {str(path)!r} is outside of the base path {str(base)!r}.")
        return resolved

    def read_path(self, path: str | Path) -> bytes:
        """Return the file's bytes; raises ``FileNotFoundError`` if it does not exist."""
        return self._resolve_path(path).read_bytes()

    def write_path(self, path: str | Path, content: bytes) -> str:
        """Write ``content`` atomically (temporary file, then rename); return the full path."""
        target = self._resolve_path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(_temp_name(target.name))
        # 0o666 lets the umask decide permissions, as a plain open() would
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return str(target)

    def exists(self, path: str | Path) -> bool:
        """Whether a file exists at ``path``."""
        return self._resolve_path(path).is_file()

    def delete_path(self, path: str | Path) -> None:
        """Remove the file at ``path`` if it exists."""
        self._resolve_path(path).unlink(missing_ok=True)


class RemoteFileSystem(BaseModel):
    """Files on any fsspec backend, under a URL prefix.

    Args:
        basepath: an fsspec URL with a scheme, e.g. ``s3://bucket/results`` or
            ``memory://results``.
        settings: keyword arguments for ``fsspec.filesystem`` (credentials, endpoints).
    """

    model_config = ConfigDict(extra="forbid")

    basepath: str
    settings: dict[str, Any] = Field(default_factory=dict)
    _fs: Any = PrivateAttr(default=None)

    @field_validator("basepath")
    @classmethod
    def _needs_scheme(cls, value: str) -> str:
        scheme, sep, rest = value.partition("://")
        if not sep or not scheme:
            raise ValueError(
                f"Base path {value!r} must start with a scheme such as 's3://' or 'memory://'."
            )
        if not rest.strip("/") and scheme != "memory":
            raise ValueError(f"Base path {value!r} must name a location after '{scheme}://'.")
        return value.rstrip("/")

    @property
    def protocol(self) -> str:
        """The URL scheme of ``basepath``."""
        return self.basepath.partition("://")[0]

    @property
    def filesystem(self) -> fsspec.AbstractFileSystem:
        """The fsspec filesystem object (created once per instance)."""
        if self._fs is None:
            # Imported here (start-up time): every run imports this module, few use
            # a remote backend.
            import fsspec

            self._fs = fsspec.filesystem(self.protocol, **self.settings)
        return self._fs

    def base_url(self) -> str:
        """The ``basepath`` URL (what :func:`resolve_storage` maps back to this)."""
        return self.basepath

    def _resolve_path(self, path: str | Path) -> str:
        text = str(path)
        if text.startswith(self.basepath + "/"):
            text = text[len(self.basepath) + 1 :]
        parts = PurePosixPath(text.replace("\\", "/")).parts
        if ".." in parts or (parts and parts[0] == "/") or "://" in text:
            raise ValueError(f"Path {str(path)!r} is outside of the base path {self.basepath!r}.")
        return f"{self.basepath}/{'/'.join(parts)}"

    def read_path(self, path: str | Path) -> bytes:
        """Return the object's bytes; raises ``FileNotFoundError`` if it does not exist."""
        return bytes(self.filesystem.cat_file(self._resolve_path(path)))

    def write_path(self, path: str | Path, content: bytes) -> str:
        """Write ``content`` as atomically as the backend allows; return the full URL."""
        target = self._resolve_path(path)
        fs = self.filesystem
        if self.protocol in _OBJECT_STORES:
            fs.pipe_file(target, content)
            return target
        parent, _, name = target.rpartition("/")
        fs.makedirs(parent, exist_ok=True)
        tmp = f"{parent}/{_temp_name(name)}"
        fs.pipe_file(tmp, content)
        try:
            fs.mv(tmp, target)
        except BaseException:
            fs.rm(tmp)
            raise
        return target

    def exists(self, path: str | Path) -> bool:
        """Whether an object exists at ``path``."""
        return bool(self.filesystem.exists(self._resolve_path(path)))

    def delete_path(self, path: str | Path) -> None:
        """Remove the object at ``path`` if it exists."""
        target = self._resolve_path(path)
        if self.filesystem.exists(target):
            self.filesystem.rm(target)


def default_storage_path() -> Path:
    """``$PODIUM_HOME/storage``, read at call time."""
    return get_settings().home / "storage"


def resolve_storage(value: str | Path | WritableFileSystem | None) -> WritableFileSystem:
    """Return the filesystem a ``result_storage`` option describes.

    Args:
        value: ``None`` for local storage at ``$PODIUM_HOME/storage``; a local path
            (``str`` or ``Path``, or a ``file://`` URL); an fsspec URL (``s3://...``,
            ``memory://...``); or a filesystem object, returned as is.

    Raises:
        TypeError: ``value`` is none of these.
    """
    if value is None:
        return LocalFileSystem(basepath=str(default_storage_path()))
    if isinstance(value, Path):
        return LocalFileSystem(basepath=str(value))
    if isinstance(value, str):
        scheme, sep, _ = value.partition("://")
        if sep and scheme != "file":
            return RemoteFileSystem(basepath=value)
        return LocalFileSystem(basepath=value)
    if isinstance(value, WritableFileSystem):
        return value
    raise TypeError(
        "Result storage must be a path, an fsspec URL, or a filesystem with "
        f"read_path()/write_path(); got {type(value).__name__!r}."
    )
