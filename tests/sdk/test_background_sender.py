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
