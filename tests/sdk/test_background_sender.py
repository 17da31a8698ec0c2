"""The background sender behind the task-run reporter and the log shipper."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import pytest

from podium.engine._background import BackgroundSender


class Recorder:
    """A ``send`` that keeps what it got and notices two batches in flight at once."""

    def __init__(self, delay: float = 0.0) -> None:
        self.sent: list[Any] = []
        self.batches = 0
        self.overlaps = 0
        self.delay = delay
        self._in_flight = threading.Lock()

    def __call__(self, batch: list[Any]) -> None:
        if not self._in_flight.acquire(blocking=False):
            self.overlaps += 1
            self._in_flight.acquire()
        try:
            time.sleep(self.delay)
            self.sent.extend(batch)
            self.batches += 1
        finally:
            self._in_flight.release()


def test_flush_sends_everything_queued_before_it() -> None:
    recorder = Recorder()
    sender = BackgroundSender("test-sender", recorder, linger=10.0)
    for i in range(25):
        sender.put(i)

    assert sender.flush(timeout=10)
    assert recorder.sent == list(range(25))
    assert sender.unsent == 0


def test_concurrent_producers_and_flushes_send_each_item_once_in_order() -> None:
    recorder = Recorder(delay=0.001)
    sender = BackgroundSender("test-sender", recorder, batch_size=7, linger=0.002)

    def produce(worker: int) -> None:
        for i in range(200):
            sender.put((worker, i))
            if i % 25 == 0:
                assert sender.flush(timeout=10)

    threads = [threading.Thread(target=produce, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sender.flush(timeout=10)

    assert sorted(recorder.sent) == [(w, i) for w in range(4) for i in range(200)]
    for worker in range(4):
        mine = [i for w, i in recorder.sent if w == worker]
        assert mine == list(range(200))
    assert recorder.overlaps == 0


def test_a_batch_that_fails_is_logged_and_the_rest_still_goes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sent: list[int] = []

    def send(batch: list[int]) -> None:
        if 0 in batch:
            raise RuntimeError("the API is down")
        sent.extend(batch)

    sender = BackgroundSender("test-sender", send, batch_size=2, linger=10.0)
    for i in range(4):
        sender.put(i)

    with caplog.at_level(logging.ERROR, logger="podium.engine"):
        assert sender.flush(timeout=10)
    assert sent == [2, 3]
    assert "test-sender could not send 2 record(s); they are lost" in caplog.text


def _sent_within(recorder: Recorder, count: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while len(recorder.sent) < count and time.monotonic() < deadline:
        time.sleep(0.005)
    return len(recorder.sent) >= count


def test_items_put_while_the_thread_waits_are_sent_without_a_flush() -> None:
    recorder = Recorder()
    sender = BackgroundSender("test-sender", recorder, linger=0.001)
    for round_ in range(50):
        # Each put finds the thread waiting for a first item (or about to).
        sender.put(round_)
        assert _sent_within(recorder, round_ + 1, 5), f"item {round_} was not sent"
    assert recorder.sent == list(range(50))


def test_items_from_many_threads_are_sent_without_a_flush() -> None:
    recorder = Recorder()
    sender = BackgroundSender("test-sender", recorder, batch_size=5, linger=0.001)

    def produce(worker: int) -> None:
        for i in range(100):
            sender.put((worker, i))
            if i % 10 == 0:
                time.sleep(0.001)  # let the queue run empty now and then

    threads = [threading.Thread(target=produce, args=(w,)) for w in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert _sent_within(recorder, 600, 10)
    assert sorted(recorder.sent) == [(w, i) for w in range(6) for i in range(100)]


def test_a_full_queue_makes_producers_wait_and_loses_nothing() -> None:
    recorder = Recorder(delay=0.002)
    sender = BackgroundSender("test-sender", recorder, batch_size=10, max_size=20, linger=0.001)
    for i in range(300):
        sender.put(i)
        assert sender.unsent <= 20 + 10  # queued (at most max_size) and one batch in flight

    assert sender.flush(timeout=10)
    assert recorder.sent == list(range(300))


class Unreachable(Exception):
    """What a send raises while the API is away (the test's ``retry_if`` says so)."""


def _transient(exc: Exception) -> bool:
    return isinstance(exc, Unreachable)


def test_a_batch_that_fails_transiently_is_sent_again_and_nothing_overtakes_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sent: list[list[int]] = []
    failures = iter([True, True])  # the first two tries fail, then the API is back

    def send(batch: list[int]) -> None:
        if next(failures, False):
            raise Unreachable("connection refused")
        sent.append(batch)

    sender = BackgroundSender(
        "test-sender", send, batch_size=3, linger=10.0, retry_if=_transient, patience=10.0
    )
    for i in range(7):
        sender.put(i)

    with caplog.at_level(logging.WARNING, logger="podium.engine"):
        assert sender.flush(timeout=10)
    assert sent == [[0, 1, 2], [3, 4, 5], [6]]
    assert caplog.text.count("test-sender could not send 3 record(s) (connection refused)") == 2
    assert "lost" not in caplog.text


def test_a_batch_that_keeps_failing_is_lost_after_its_patience_and_the_next_goes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sent: list[int] = []

    def send(batch: list[int]) -> None:
        if 0 in batch:
            raise Unreachable("connection refused")
        sent.extend(batch)

    sender = BackgroundSender(
        "test-sender", send, batch_size=2, linger=10.0, retry_if=_transient, patience=0.5
    )
    for i in range(4):
        sender.put(i)

    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="podium.engine"):
        assert sender.flush(timeout=10)
    assert 0.2 <= time.monotonic() - started < 2  # one pause (0.2 s); the next passes 0.5
    assert sent == [2, 3]
    assert "trying again" in caplog.text
    assert "test-sender could not send 2 record(s); they are lost" in caplog.text


def test_an_error_that_is_not_transient_is_not_sent_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    tries = 0

    def send(batch: list[int]) -> None:
        nonlocal tries
        tries += 1
        raise ValueError("the API refused the batch")

    sender = BackgroundSender("test-sender", send, linger=10.0, retry_if=_transient)
    sender.put(1)

    with caplog.at_level(logging.WARNING, logger="podium.engine"):
        assert sender.flush(timeout=10)
    assert tries == 1
    assert "they are lost: the API refused the batch" in caplog.text
