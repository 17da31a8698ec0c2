"""Pausing the cyclic collector over a block: overlapping blocks, and the caller's own choice."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from podium._gc import long_lived, paused


@pytest.fixture(autouse=True)
def _collector_restored() -> Iterator[None]:
    was_enabled = gc.isenabled()
    yield
    (gc.enable if was_enabled else gc.disable)()


def test_a_block_begun_during_a_pause_runs_in_it() -> None:
    gc.enable()
    first_inside = threading.Event()
    second_done = threading.Event()
    seen: list[bool] = []

    def other_thread() -> None:
        first_inside.wait(10)
        with paused():
            seen.append(gc.isenabled())
        second_done.set()

    thread = threading.Thread(target=other_thread)
    thread.start()
    with paused():
        first_inside.set()
        second_done.wait(10)
        # The other thread's block ended first: still paused for this one.
        seen.append(gc.isenabled())
    thread.join(10)
    assert seen == [False, False]
    assert gc.isenabled()


def test_a_block_begun_during_a_pause_does_not_extend_it() -> None:
    gc.enable()
    inside = threading.Event()
    leave = threading.Event()

    def other_thread() -> None:
        with paused():
            inside.set()
            leave.wait(10)

    with paused():
        thread = threading.Thread(target=other_thread)
        thread.start()
        inside.wait(10)
    # The block that paused the collector has ended; the other one still runs.
    assert gc.isenabled()
    leave.set()
    thread.join(10)
    assert gc.isenabled()


def test_a_collector_turned_off_by_the_caller_stays_off() -> None:
    gc.disable()
    with paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_the_collector_resumes_after_an_error_in_the_block() -> None:
    gc.enable()
    with pytest.raises(ValueError), paused():
        raise ValueError("boom")
    assert gc.isenabled()


def test_long_lived_freezes_what_the_block_made() -> None:
    gc.enable()
    frozen_before = gc.get_freeze_count()
    with long_lived():
        assert not gc.isenabled()
        made = [{"n": i} for i in range(1000)]
    assert gc.isenabled()
    assert gc.get_freeze_count() >= frozen_before + len(made)
