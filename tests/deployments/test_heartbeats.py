"""The engine's flow-run heartbeats, and a cancellation noticed through them."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from podium import flow
from podium.client import get_client
from podium.context import FlowRunContext
from podium.engine._heartbeats import heartbeat_interval
from podium.exceptions import TerminationSignal
from podium.schemas.states import StateCreate, StateType
from podium.settings import clear_settings_cache


@pytest.fixture(autouse=True)
def fast_heartbeats(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PODIUM_HEARTBEAT_TIMEOUT_SECONDS", "0.6")
    clear_settings_cache()


def test_the_interval_is_a_third_of_the_timeout() -> None:
    assert heartbeat_interval() == pytest.approx(0.2)


def test_running_flow_runs_and_subflows_send_heartbeats() -> None:
    seen: dict[str, Any] = {}

    @flow
    def child() -> None:
        seen["child"] = FlowRunContext.get().flow_run.id  # type: ignore[union-attr]
        time.sleep(0.8)

    @flow
    def parent() -> None:
        seen["parent"] = FlowRunContext.get().flow_run.id  # type: ignore[union-attr]
        child()

    parent()

    with get_client(sync_client=True) as client:
        for key in ("parent", "child"):
            run = client.read_flow_run(seen[key])
            assert run.heartbeat is not None, key
            assert run.start_time is not None and run.heartbeat > run.start_time


def test_a_cancelled_run_stops_itself_through_its_heartbeat() -> None:
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("SIGTERM reaches the flow only in the main thread")
    started = threading.Event()
    ids: list[Any] = []

    @flow
    def long_one() -> None:
        ids.append(FlowRunContext.get().flow_run.id)  # type: ignore[union-attr]
        started.set()
        time.sleep(30)

    def cancel() -> None:
        started.wait(10)
        with get_client(sync_client=True) as client:
            client.set_flow_run_state(ids[0], StateCreate(type=StateType.CANCELLING))

    canceller = threading.Thread(target=cancel)
    canceller.start()
    began = time.monotonic()
    with pytest.raises(TerminationSignal):  # the process is meant to end here
        long_one()
    canceller.join()

    assert time.monotonic() - began < 10
    with get_client(sync_client=True) as client:
        assert client.read_flow_run(ids[0]).state_type == StateType.CANCELLED
