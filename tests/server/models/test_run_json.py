"""Listings written from the stored rows give the bytes the contract's models give.

On SQLite a filtered listing is written to JSON from the raw rows (see
``podium.server.models._run_json``); the models path (read the runs, validate
them into the schema, dump) is the reference. For every sort and a spread of
filters, over runs with every kind of value, the two must be the same bytes.
On PostgreSQL the listing takes the models path; the same test runs there.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from pydantic import TypeAdapter, computed_field
from sqlalchemy import text
from sqlalchemy.orm import Session

from podium.schemas.core import FlowRun, TaskRun
from podium.schemas.responses import FlowRunReadRequest, TaskRunReadRequest
from podium.schemas.sorting import FlowRunSort, TaskRunSort
from podium.schemas.states import State
from podium.server.app import create_app
from podium.server.database import Database, orm
from podium.server.models import filters, flow_runs, task_runs
from podium.server.models._run_json import RunJson, run_json
from podium.settings import Settings

# Builds a varied task-run batch for a flow run (the ``task_run_batch`` fixture).
Batch = Callable[[str], Any]

Api = tuple[httpx.AsyncClient, Database]
T0 = dt.datetime(2031, 5, 6, 7, 8, 9, tzinfo=dt.UTC)


@pytest.fixture
async def served(database_url: str) -> AsyncIterator[Api]:
    """The app on an empty database, and that database, to call the queries directly."""
    settings = Settings(database_url=database_url, services_enabled=False)
    db = Database(database_url)
    app = create_app(settings, database=db)
    async with app.router.lifespan_context(app):
        for table in reversed(orm.Base.metadata.sorted_tables):
            await db.run_connection(lambda c, t=table: c.execute(t.delete()))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://podium/api") as client:
            yield client, db
    await db.dispose()


async def _post(api: httpx.AsyncClient, path: str, body: dict[str, Any]) -> Any:
    answer = await api.post(path, json=body)
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


async def _fill(api: httpx.AsyncClient, batch: Batch) -> dict[str, str]:
    """Flow runs and task runs with every kind of value; returns a few of their ids."""
    flow = await _post(api, "/flows/", {"name": "etl"})
    other = await _post(api, "/flows/", {"name": "other", "tags": ["x"]})
    parent = await _post(api, "/flow_runs/", {"flow_id": flow["id"], "name": "parent"})
    bodies: list[dict[str, Any]] = [
        {"flow_id": other["id"], "name": "plain"},
        {
            "flow_id": flow["id"],
            "name": 'nightly \u2013 ünïcode "quoted" \\ back\n\t\x01',
            "parameters": {"n": 3, "nested": {"a": [1, 2.5, None, True]}, "s": "é"},
            "tags": ["a", "b"],
            "labels": {"team": "data"},
            "context": {"k": "v"},
            "idempotency_key": "once",
            "parent_flow_run_id": parent["id"],
            "empirical_policy": {"retries": 2, "retry_delay": 1.5},
            "job_variables": {"env": {"X": "1"}},
            "work_queue_name": "default",
            "flow_version": "1.0",
            "state": {
                "type": "SCHEDULED",
                "message": "later",
                "state_details": {"scheduled_time": T0.isoformat()},
            },
        },
        {"flow_id": flow["id"], "name": "tagged", "tags": ["b"], "flow_version": "2.0"},
        {
            "flow_id": flow["id"],
            "name": "due",
            "state": {
                "type": "SCHEDULED",
                "state_details": {"scheduled_time": "2030-01-01T00:00:00.5Z"},
            },
        },
    ]
    ids = {"parent": parent["id"]}
    for body in bodies:
        ids[body["name"][:5]] = (await _post(api, "/flow_runs/", body))["id"]
    # Started at a whole second, then failed with data: times without a fraction.
    for state in (
        {"type": "RUNNING", "timestamp": T0.isoformat()},
        {"type": "FAILED", "message": "boom", "data": {"storage_key": "k", "n": 1}},
    ):
        await _post(api, f"/flow_runs/{ids['plain']}/set_state", {"state": state})
    for state in ({"type": "RUNNING"}, {"type": "COMPLETED"}):
        await _post(api, f"/flow_runs/{ids['tagge']}/set_state", {"state": state})

    tasks, states = batch(parent["id"])
    upstream = tasks[0]["id"]
    await _post(api, "/task_runs/batch", {"task_runs": tasks, "states": states})
    ids["upstream"] = upstream
    return ids


def _models(schema: Any, runs: list[Any]) -> bytes:
    many: TypeAdapter[list[Any]] = TypeAdapter(list[schema])
    return many.dump_json(many.validate_python(runs))


def _requests(ids: dict[str, str]) -> list[dict[str, Any]]:
    """Filters for both kinds of run: each criterion at least once, and paging."""
    return [
        {},
        {"limit": 2},
        {"limit": 2, "offset": 1},
        {"flow_runs": {"state": {"type": {"any_": ["COMPLETED", "FAILED"]}}}},
        {
            "flow_runs": {
                "state": {"type": {"not_any_": ["SCHEDULED"]}, "name": {"any_": ["Failed"]}}
            }
        },
        {"flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}}},
        {"flow_runs": {"id": {"any_": [ids["parent"], ids["plain"]]}}},
        {"flow_runs": {"id": {"not_any_": [ids["parent"]]}}},
        {"flow_runs": {"name": {"like_": "a"}}},
        {"flow_runs": {"tags": {"all_": ["a", "b"]}}},
        {"flow_runs": {"tags": {"any_": ["b"]}}},
        {"flow_runs": {"tags": {"is_null_": True}}},
        {"flow_runs": {"parent_flow_run_id": {"is_null_": False}}},
        {"flow_runs": {"start_time": {"is_null_": False}}},
        {"flow_runs": {"expected_start_time": {"after_": "2000-01-01T00:00:00Z"}}},
        {"flow_runs": {"next_scheduled_start_time": {"before_": "2030-06-01T00:00:00Z"}}},
        {"flow_runs": {"flow_version": {"any_": ["1.0", "2.0"]}}},
        {"flow_runs": {"work_queue_name": {"any_": ["default"]}}},
        {"flow_runs": {"idempotency_key": {"any_": ["once"]}}},
        {"flow_runs": {"operator": "or_", "name": {"any_": ["plain"]}, "tags": {"any_": ["a"]}}},
        {"flows": {"name": {"any_": ["other"]}}},
        {"flows": {"tags": {"any_": ["x"]}}},
        {"task_runs": {"state": {"type": {"any_": ["COMPLETED"]}}}},
        {"task_runs": {"task_key": {"any_": ["orphan", "load"]}}},
        {"task_runs": {"tags": {"any_": ["t"]}}},
        {"task_runs": {"flow_run_id": {"any_": [ids["parent"]]}}},
        {"task_runs": {"id": {"any_": [ids["upstream"]]}}},
        {"task_runs": {"name": {"like_": "load"}}},
    ]


async def test_listings_are_the_models_bytes(served: Api, task_run_batch: Batch) -> None:
    api, db = served
    ids = await _fill(api, task_run_batch)
    cases: list[tuple[Any, Any, Any, Any, Any]] = [
        (
            FlowRunReadRequest,
            FlowRunSort,
            flow_runs.read_flow_runs_json,
            flow_runs.read_flow_runs,
            FlowRun,
        ),
        (
            TaskRunReadRequest,
            TaskRunSort,
            task_runs.read_task_runs_json,
            task_runs.read_task_runs,
            TaskRun,
        ),
    ]

    def check(session: Session) -> int:
        compared = 0
        for request_type, sorts, read_json, read_values, schema in cases:
            for body in _requests(ids):
                if request_type is TaskRunReadRequest and "deployments" in body:
                    continue
                for sort in sorts:
                    request = request_type.model_validate({**body, "sort": sort})
                    listed = read_json(session, request)
                    assert listed == _models(schema, read_values(session, request)), (sort, body)
                    compared += len(listed) > 2
        return compared

    assert await db.read(check) > 100  # most cases list runs


async def test_runs_without_a_state_row_and_long_times(served: Api, task_run_batch: Batch) -> None:
    """A run whose state is gone, one that ran for days and one started early."""
    api, db = served
    ids = await _fill(api, task_run_batch)
    await db.run_connection(
        lambda c: c.execute(
            text("UPDATE flow_run SET state_id = :gone WHERE id = :id"),
            {
                "gone": uuid.uuid4().hex if db.is_sqlite else uuid.uuid4(),
                "id": _key(db, ids["plain"]),
            },
        )
    )
    await db.run_connection(
        lambda c: c.execute(
            text(
                "UPDATE flow_run SET total_run_time = :long, start_time = expected_start_time"
                " WHERE id = :id"
            ),
            {
                "long": _interval(db, dt.timedelta(days=3, microseconds=7)),
                "id": _key(db, ids["tagge"]),
            },
        )
    )
    await db.run_connection(
        lambda c: c.execute(
            text("UPDATE flow_run SET start_time = :early, total_run_time = :tiny WHERE id = :id"),
            {
                "early": _time(db, dt.datetime(2000, 1, 1, tzinfo=dt.UTC)),
                "tiny": _interval(db, dt.timedelta(microseconds=3)),
                "id": _key(db, ids["parent"]),
            },
        )
    )

    def read(session: Session) -> tuple[bytes, bytes]:
        request = FlowRunReadRequest()
        models = _models(FlowRun, flow_runs.read_flow_runs(session, request))
        return flow_runs.read_flow_runs_json(session, request), models

    listed, models = await db.read(read)
    assert listed == models
    assert b'"total_run_time":259200.000007' in listed
    assert b'"total_run_time":3e-6' in listed


def _key(db: Database, run_id: str) -> Any:
    return uuid.UUID(run_id).hex if db.is_sqlite else uuid.UUID(run_id)


def _interval(db: Database, value: dt.timedelta) -> Any:
    # SQLAlchemy keeps an interval on SQLite as the epoch plus the interval.
    return str(dt.datetime(1970, 1, 1) + value) if db.is_sqlite else value


def _time(db: Database, value: dt.datetime) -> Any:
    return value.strftime("%Y-%m-%d %H:%M:%S.%f") if db.is_sqlite else value


def test_the_builder_is_written_for_each_schema() -> None:
    """Every field of the schema, in order, comes out of the generated builder."""
    for model, schema in ((orm.FlowRun, FlowRun), (orm.TaskRun, TaskRun)):
        source = run_json(model).source
        positions = [source.index(repr(name)) for name in schema.model_fields]
        assert positions == sorted(positions), schema.__name__
        assert "'estimated_start_time_delta'" in source


def test_an_unknown_computed_field_is_refused() -> None:
    class WithComputed(FlowRun):
        @computed_field  # type: ignore[prop-decorator]
        @property
        def surprise(self) -> int:
            return 1

    with pytest.raises(TypeError, match="surprise"):
        RunJson(orm.FlowRun, WithComputed, State)


def test_equal_filters_share_their_clauses_and_statement() -> None:
    """Equal filters give the same clause objects, so the listing's statement is kept."""

    def scope(types: list[str]) -> list[Any]:
        request = FlowRunReadRequest.model_validate(
            {"flow_runs": {"state": {"type": {"any_": types}}}}
        )
        return filters.run_scope("sqlite", flow_runs=request.flow_runs, target=orm.FlowRun)

    first, again, other = scope(["COMPLETED"]), scope(["COMPLETED"]), scope(["FAILED"])
    assert [id(c) for c in first] == [id(c) for c in again]
    assert [id(c) for c in first] != [id(c) for c in other]
    listing = run_json(orm.FlowRun)
    order = (orm.FlowRun.id.desc(),)
    query = listing._query(first, order, 200, 0)
    assert listing._query(again, order, 200, 0) is query
    assert listing._query(again, order, 100, 0) is not query
    assert listing._query(other, order, 200, 0) is not query
