"""Task-run records and API trouble: a server restart costs no records, and a batch
that was lost anyway costs only its own runs.

The client retries a call for about three seconds at most. A server that takes longer
to come back (a restart, a deploy) used to cost the records of the batch in flight;
the reporter now sends such a batch again, with growing pauses, for up to 30 seconds.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from tests._servers import api_url, free_port, start_http_server, stop

from podium import flow
from podium._ids import new_uuid
from podium.client import get_client
from podium.context import FlowRunContext
from podium.engine import _records as records
from podium.engine import _reporter
from podium.engine._reporter import get_reporter
from podium.exceptions import ServerUnavailable
from podium.logging import flush_logs
from podium.schemas.filters import FilterIds, FlowRunFilter
from podium.schemas.states import StateType
from podium.settings import clear_settings_cache


@flow
def host() -> Any:
    return FlowRunContext.get().flow_run.id


def creation(run_id: UUID, flow_run_id: UUID) -> records.Record:
    """A task run's creation, Running, as the engine would queue it."""
    return records.creation(
        task_key="t",
        dynamic_key=str(run_id),
        id=run_id,
        name="t-0",
        flow_run_id=flow_run_id,
        state=records.timestamped("RUNNING", dt.datetime.now(dt.UTC)),
        tags=[],
        policy={},
    )


def completed() -> records.Record:
    return records.timestamped("COMPLETED", dt.datetime.now(dt.UTC))


@pytest.fixture
def engine_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """What ``podium.engine`` logs (podium's loggers do not propagate to the root)."""
    logger = logging.getLogger("podium.engine")
    logger.addHandler(caplog.handler)
    try:
        yield caplog
    finally:
        logger.removeHandler(caplog.handler)


def test_task_run_records_survive_a_restart_of_the_api(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine_log: pytest.LogCaptureFixture
) -> None:
    port, home = free_port(), tmp_path / "server-home"
    server = start_http_server(home, port)
    try:
        monkeypatch.setenv("PODIUM_API_URL", api_url(port))
        clear_settings_cache()
        flow_run_id = host()
        assert flush_logs(timeout=30)
        stop(server)

        # The API is away: the reporter's batch fails after the client's retries.
        reporter = get_reporter()
        run_id = new_uuid()
        reporter.create(creation(run_id, flow_run_id))
        reporter.propose(run_id, completed())
        time.sleep(4.5)  # longer than the client retries a call
        server = start_http_server(home, port)

        assert reporter.flush(timeout=60)
        with get_client(sync_client=True) as client:
            run = client.read_task_run(run_id)
        assert run.state_type == StateType.COMPLETED
        assert run.flow_run_id == flow_run_id
        assert "could not send 2 record(s)" in engine_log.text
        assert "trying again" in engine_log.text
        assert "they are lost" not in engine_log.text
    finally:
        flush_logs(timeout=10)
        stop(server)


def test_a_lost_batch_costs_only_its_own_runs(engine_log: pytest.LogCaptureFixture) -> None:
    # Records the API never got (a batch lost after all retries) must not take the
    # next batch down: the proposals for the lost run are refused, and the next
    # batch's own runs are written.
    flow_run_id = host()
    reporter = get_reporter()
    lost, kept = new_uuid(), new_uuid()

    # ``lost``'s creation went with the lost batch; what follows it reaches the API.
    reporter.propose(lost, completed())
    reporter.create(creation(kept, flow_run_id))
    reporter.propose(kept, completed())
    assert reporter.flush(timeout=30)

    with get_client(sync_client=True) as client:
        assert client.read_task_run(kept).state_type == StateType.COMPLETED
        runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FilterIds(any_=[flow_run_id])), limit=10
        )
    assert [r.id for r in runs] == [kept]
    assert f"Task run {lost} was not found" in engine_log.text


class _AnswerLostOnce:
    """A client whose first batch reaches the API but whose answer never comes back."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.answers: list[Any] = []

    def report_task_runs(self, batch: Any) -> Any:
        answer = self.client.report_task_runs(batch)
        self.answers.append(answer)
        if len(self.answers) == 1:
            raise ServerUnavailable("the connection dropped before the answer")
        return answer


def test_a_batch_sent_again_after_a_lost_answer_reads_as_repeated_not_refused(
    monkeypatch: pytest.MonkeyPatch, engine_log: pytest.LogCaptureFixture
) -> None:
    flow_run_id = host()
    reporter = get_reporter()
    real = _reporter.engine_client
    lossy = _AnswerLostOnce(real(reporter.target))
    monkeypatch.setattr(_reporter, "engine_client", lambda target: lossy)
    run_id = new_uuid()

    reporter.create(creation(run_id, flow_run_id))
    reporter.propose(run_id, completed())
    assert reporter.flush(timeout=30)

    first, again = lossy.answers
    assert (first.created, first.accepted, first.refused) == (1, 1, [])
    assert (again.created, again.accepted, again.refused, again.repeated) == (0, 0, [], 1)
    with get_client(sync_client=True) as client:
        assert [s.type for s in client.read_task_run_states(run_id)] == [
            StateType.RUNNING,
            StateType.COMPLETED,
        ]
    assert "trying again" in engine_log.text
    assert "refused" not in engine_log.text
