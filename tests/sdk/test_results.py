"""Result store: records, references, expiry, damage, and atomicity under concurrency."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import threading
import time
import uuid
from pathlib import Path

import fsspec
import pytest

from podium.exceptions import MissingResult, SerializationError
from podium.filesystems import LocalFileSystem, RemoteFileSystem
from podium.results import (
    RESULT_FORMAT,
    ResultStore,
    default_result_storage,
    is_result_reference,
    load_result,
)

PAYLOAD_SIZE = 512 * 1024  # big enough that a torn write would be caught mid-file


@pytest.fixture(autouse=True)
def _home(tmp_path, monkeypatch):
    monkeypatch.setenv("PODIUM_HOME", str(tmp_path / "home"))


@pytest.fixture
def memory_url():
    url = f"memory://podium-tests-{uuid.uuid4().hex}"
    yield url
    fs = fsspec.filesystem("memory")
    if fs.exists(url):
        fs.rm(url, recursive=True)


def test_default_storage_follows_podium_home(tmp_path, monkeypatch):
    assert default_result_storage().basepath == str(tmp_path / "home" / "storage")
    monkeypatch.setenv("PODIUM_HOME", str(tmp_path / "other"))
    store = ResultStore()
    store.write(1, key="k")
    assert (tmp_path / "other" / "storage" / "k").is_file()


@pytest.mark.parametrize("serializer", ["pickle", "json", "compressed/pickle"])
def test_write_read_round_trip(tmp_path, serializer):
    store = ResultStore(tmp_path, serializer=serializer)
    metadata = store.write({"a": [1, 2]}, key="sub/dir/key")
    record = store.read("sub/dir/key")
    assert record.result == {"a": [1, 2]}
    assert record.metadata == metadata
    assert metadata.serializer == serializer
    assert metadata.storage_basepath == str(tmp_path.resolve())


def test_write_without_key_makes_one(tmp_path):
    store = ResultStore(tmp_path)
    first, second = store.write(1), store.write(2)
    assert first.storage_key != second.storage_key
    assert store.read(second.storage_key).result == 2


def test_reference_loads_in_a_fresh_store(tmp_path):
    metadata = ResultStore(tmp_path / "r", serializer="json").write([1, "two"], key="k")
    reference = ResultStore.reference_for(metadata)
    assert is_result_reference(reference)
    assert reference["format"] == RESULT_FORMAT
    assert load_result(reference) == [1, "two"]


def test_reference_to_memory_storage(memory_url):
    store = ResultStore(memory_url)
    reference = store.reference_for(store.write({"x": 1}, key="k"))
    assert reference["storage_basepath"] == memory_url
    assert load_result(reference) == {"x": 1}


def test_load_result_rejects_non_references():
    with pytest.raises(ValueError, match="Not a result reference"):
        load_result({"storage_key": "k"})


def test_missing_key(tmp_path):
    store = ResultStore(tmp_path)
    with pytest.raises(MissingResult, match=r"No result is stored at .*nope"):
        store.read("nope")
    assert not store.exists("nope")
    assert store.lookup("nope") is None


def test_expiration(tmp_path):
    store = ResultStore(tmp_path)
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    future = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    store.write("old", key="old", expiration=past)
    store.write("new", key="new", expiration=future)
    assert not store.exists("old") and store.lookup("old") is None
    assert store.read("old").result == "old"  # read() itself ignores expiry
    assert store.exists("new") and store.lookup("new").result == "new"


def test_truncated_and_corrupt_records(tmp_path):
    store = ResultStore(tmp_path)
    store.write(list(range(1000)), key="k")
    path = tmp_path / "k"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(MissingResult, match="truncated"):
        store.read("k")
    assert not store.exists("k")
    path.write_bytes(b"garbage without a header")
    with pytest.raises(MissingResult, match="unreadable"):
        store.read("k")


def test_unserializable_value_writes_nothing(tmp_path):
    store = ResultStore(tmp_path, serializer="json")
    with pytest.raises(SerializationError, match="'json'"):
        store.write(threading.Lock(), key="k")
    assert not (tmp_path / "k").exists()


def test_record_format_is_header_line_then_payload(tmp_path):
    ResultStore(tmp_path, serializer="json").write({"a": 1}, key="k")
    header, _, payload = (tmp_path / "k").read_bytes().partition(b"\n")
    assert b'"format":"podium-result/1"' in header
    assert payload == b'{"a":1}'


def test_store_accepts_filesystem_objects(tmp_path, memory_url):
    local = ResultStore(LocalFileSystem(basepath=str(tmp_path)))
    remote = ResultStore(RemoteFileSystem(basepath=memory_url))
    for store in (local, remote):
        store.write(5, key="five")
        assert store.read("five").result == 5


# --- atomicity -------------------------------------------------------------------


def _value(tag: int) -> tuple[int, bytes]:
    return tag, bytes([tag % 256]) * PAYLOAD_SIZE


def _consistent(value: object) -> bool:
    if not (isinstance(value, tuple) and len(value) == 2):
        return False
    tag, payload = value
    return payload == bytes([tag % 256]) * PAYLOAD_SIZE


def _hammer(store: ResultStore, key: str, tag: int, seconds: float) -> tuple[int, int]:
    """Alternately write our value and read whatever is there; return (reads, bad reads)."""
    reads = bad = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        store.write(_value(tag), key=key)
        for _ in range(3):
            reads += 1
            if not _consistent(store.read(key).result):
                bad += 1
    return reads, bad


def _process_worker(args: tuple[str, str, int, float]) -> tuple[int, int]:
    basepath, key, tag, seconds = args
    return _hammer(ResultStore(basepath), key, tag, seconds)


@pytest.mark.parametrize("where", ["local", "memory"])
def test_concurrent_threads_never_see_partial_records(tmp_path, memory_url, where):
    store = ResultStore(str(tmp_path) if where == "local" else memory_url)
    store.write(_value(0), key="shared")
    results: list[tuple[int, int]] = []

    def run(tag: int) -> None:
        results.append(_hammer(store, "shared", tag, 1.0))

    threads = [threading.Thread(target=run, args=(tag,)) for tag in range(1, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4
    assert sum(reads for reads, _ in results) > 20
    assert sum(bad for _, bad in results) == 0
    assert not list(Path(tmp_path).glob(".*.tmp"))


def test_concurrent_processes_never_see_partial_records(tmp_path):
    store = ResultStore(tmp_path)
    store.write(_value(0), key="shared")
    context = multiprocessing.get_context("spawn")
    with context.Pool(2) as pool:
        results = pool.map(_process_worker, [(str(tmp_path), "shared", t, 2.0) for t in (1, 2)])
    assert all(reads > 0 for reads, _ in results)
    assert sum(bad for _, bad in results) == 0
    # and a value written by another process is readable here
    assert store.read("shared").result[0] in (1, 2)
    assert not list(tmp_path.glob(".*.tmp"))
