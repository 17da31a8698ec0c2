"""Filesystems: local and fsspec storage, path safety, and resolving storage options."""

from __future__ import annotations

import uuid
from pathlib import Path

import fsspec
import pytest

from podium.filesystems import LocalFileSystem, RemoteFileSystem, resolve_storage


@pytest.fixture
def memory_url():
    url = f"memory://podium-fs-{uuid.uuid4().hex}"
    yield url
    fs = fsspec.filesystem("memory")
    if fs.exists(url):
        fs.rm(url, recursive=True)


def test_local_write_read_exists(tmp_path):
    fs = LocalFileSystem(basepath=str(tmp_path))
    written = fs.write_path("a/b.bin", b"data")
    assert written == str(tmp_path / "a" / "b.bin")
    assert fs.read_path("a/b.bin") == b"data"
    assert fs.exists("a/b.bin") and not fs.exists("a/c.bin")
    fs.write_path("a/b.bin", b"new")
    assert fs.read_path(str(tmp_path / "a" / "b.bin")) == b"new"
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["b.bin"]
    fs.delete_path("a/b.bin")
    assert not fs.exists("a/b.bin")


def test_local_refuses_paths_outside_base(tmp_path):
    fs = LocalFileSystem(basepath=str(tmp_path / "base"))
    with pytest.raises(ValueError, match="outside of the base path"):
        fs.write_path("../escape", b"x")
    with pytest.raises(ValueError, match="outside of the base path"):
        fs.read_path("/etc/hostname")


def test_local_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        LocalFileSystem(basepath=str(tmp_path)).read_path("nope")


def test_local_basepath_expands_user_and_file_urls(tmp_path):
    assert LocalFileSystem(basepath="~/x").basepath == str(Path("~/x").expanduser())
    assert LocalFileSystem(basepath=f"file://{tmp_path}").basepath == str(tmp_path)


def test_remote_memory_write_read_exists(memory_url):
    fs = RemoteFileSystem(basepath=memory_url)
    assert fs.write_path("k/v", b"123") == f"{memory_url}/k/v"
    assert fs.read_path("k/v") == b"123"
    assert fs.exists("k/v") and not fs.exists("k/w")
    fs.delete_path("k/v")
    assert not fs.exists("k/v")
    with pytest.raises(FileNotFoundError):
        fs.read_path("k/v")


def test_remote_refuses_escapes(memory_url):
    fs = RemoteFileSystem(basepath=memory_url)
    with pytest.raises(ValueError, match="outside of the base path"):
        fs.write_path("../other", b"x")


def test_remote_rename_backend_leaves_no_temp_files(tmp_path):
    # file:// through fsspec has no whole-object put: it takes the temp-and-move route
    fs = RemoteFileSystem(basepath=f"file://{tmp_path}")
    fs.write_path("d/f", b"abc")
    fs.write_path("d/f", b"abcd")
    assert (tmp_path / "d" / "f").read_bytes() == b"abcd"
    assert [p.name for p in (tmp_path / "d").iterdir()] == ["f"]


def test_remote_needs_a_scheme():
    with pytest.raises(ValueError, match="scheme"):
        RemoteFileSystem(basepath="/just/a/path")
    with pytest.raises(ValueError, match="must name a location"):
        RemoteFileSystem(basepath="s3://")


def test_resolve_storage(tmp_path, monkeypatch, memory_url):
    monkeypatch.setenv("PODIUM_HOME", str(tmp_path / "home"))
    default = resolve_storage(None)
    assert isinstance(default, LocalFileSystem)
    assert default.basepath == str(tmp_path / "home" / "storage")
    assert isinstance(resolve_storage(tmp_path), LocalFileSystem)
    assert isinstance(resolve_storage(str(tmp_path)), LocalFileSystem)
    assert isinstance(resolve_storage(f"file://{tmp_path}"), LocalFileSystem)
    remote = resolve_storage(memory_url)
    assert isinstance(remote, RemoteFileSystem) and remote.basepath == memory_url
    assert resolve_storage(remote) is remote
    with pytest.raises(TypeError, match="Result storage must be"):
        resolve_storage(42)  # type: ignore[arg-type]


def test_base_url_maps_back_to_the_same_place(tmp_path, memory_url):
    for fs in (LocalFileSystem(basepath=str(tmp_path)), RemoteFileSystem(basepath=memory_url)):
        fs.write_path("k", b"v")
        assert resolve_storage(fs.base_url()).read_path("k") == b"v"
