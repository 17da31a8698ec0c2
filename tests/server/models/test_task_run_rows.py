"""On SQLite a task-run batch writes its rows in stored form, bypassing the column types.

Whatever it writes must be, byte for byte, what the column types write for
the same runs and states, or reads, filters and listings would see two
formats. The batch below is written both ways, into two databases, and the
raw rows compared.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
import zoneinfo
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from podium.schemas.actions import TaskRunBatch
from podium.server.database import Database, orm, upgrade
from podium.server.database.types import sqlite_timestamp
from podium.server.models import _multirow as multirow
from podium.server.models import _task_run_rows as rows
from podium.server.models import _task_run_stored as stored_form
from podium.server.models import task_runs

EAST = dt.timezone(dt.timedelta(hours=5, minutes=30))
WEST = dt.timezone(dt.timedelta(hours=-8))
FLOW_RUN_ID = uuid.uuid4()
UPSTREAM_ID = uuid.uuid4()


async def _database(path: Path) -> Database:
    db = Database(f"sqlite:///{path}")
    await upgrade(db)

    def add_flow_run(session: Session) -> None:
        flow = orm.Flow(name="etl")
        session.add(flow)
        session.flush()
        session.add(orm.FlowRun(id=FLOW_RUN_ID, flow_id=flow.id, name="run"))

    await db.write(add_flow_run)
    return db


@pytest.fixture
async def databases(tmp_path: Path) -> AsyncIterator[tuple[Database, Database]]:
    stored, typed = await _database(tmp_path / "a.db"), await _database(tmp_path / "b.db")
    yield stored, typed
    await stored.dispose()
    await typed.dispose()


def _batch() -> TaskRunBatch:
    now = dt.datetime.now(dt.UTC)
    full, plain, long, old, zulu, naive = (str(uuid.uuid4()) for _ in range(6))
    return TaskRunBatch.model_validate(
        {
            "task_runs": [
                {
                    "id": full,
                    "task_key": "load",
                    "dynamic_key": "1",
                    "flow_run_id": str(FLOW_RUN_ID),
                    "name": "load-ü",
                    "cache_key": "abc",
                    "cache_expiration": (now + dt.timedelta(days=1)).astimezone(EAST).isoformat(),
                    "task_version": "2",
                    "tags": ["a", "b"],
                    "labels": {"team": "data"},
                    "empirical_policy": {"retries": 2, "retry_delay": [1, 2.5]},
                    "task_inputs": {
                        "x": [{"input_type": "task_run", "id": plain}],
                        "y": [{"input_type": "parameter", "name": "p"}],
                    },
                    "flow_run_run_count": 3,
                    "state": {
                        "type": "RUNNING",
                        "message": "go",
                        "timestamp": now.astimezone(WEST).isoformat(),
                    },
                },
                {"id": plain, "task_key": "extract", "dynamic_key": "0"},
                {
                    "id": long,
                    "task_key": "slow",
                    "dynamic_key": "0",
                    "empirical_policy": {
                        "retries": 1,
                        "retry_delay": 3,
                        "retry_jitter_factor": 0.5,
                    },
                    "state": {
                        "type": "RUNNING",
                        "timestamp": (now - dt.timedelta(days=2, seconds=5)).isoformat(),
                    },
                },
                {
                    "id": old,
                    "task_key": "old",
                    "dynamic_key": "0",
                    "cache_expiration": "0999-01-02T03:04:05",
                    "state": {"type": "SCHEDULED"},
                },
                # The engine's own shapes: a policy of retries alone, "Z" and naive times.
                {
                    "id": zulu,
                    "task_key": "zulu",
                    "dynamic_key": "0",
                    "empirical_policy": {"retries": 0},
                    "state": {"type": "RUNNING", "timestamp": "2026-05-06T07:08:09.123456Z"},
                },
                {
                    "id": naive,
                    "task_key": "naive",
                    "dynamic_key": "0",
                    "empirical_policy": {"retries": 3},
                    "state": {"type": "RUNNING", "timestamp": "2026-05-06T07:08:09"},
                },
            ],
            "states": [
                {
                    "task_run_id": full,
                    "state": {
                        "type": "COMPLETED",
                        "name": "Cached",
                        "data": {"storage": "local", "keys": [1, "two", None]},
                        "state_details": {
                            "cache_key": "abc",
                            "cache_expiration": "2030-01-02T03:04:05.5+01:00",
                            "transition_id": str(uuid.uuid4()),
                        },
                    },
                },
                {"task_run_id": plain, "state": {"type": "SCHEDULED"}},
                {"task_run_id": plain, "state": {"type": "RUNNING"}},
                {"task_run_id": plain, "state": {"type": "RUNNING"}},
                {"task_run_id": plain, "state": {"type": "FAILED", "data": 0}},
                {"task_run_id": long, "state": {"type": "COMPLETED"}},
                {"task_run_id": long, "state": {"type": "COMPLETED"}},
                {
                    "task_run_id": zulu,
                    "state": {"type": "COMPLETED", "timestamp": "2026-05-06T09:08:10+02:00"},
                },
                {
                    "task_run_id": naive,
                    "state": {"type": "FAILED", "timestamp": "2026-05-06T07:08:09.5"},
                },
            ],
        }
    )


def _raw(db: Database, table: str) -> list[tuple[Any, ...]]:
    assert db.sync_engine is not None
    with db.sync_engine.connect() as connection:
        return list(connection.exec_driver_sql(f"SELECT * FROM {table} ORDER BY id"))


async def test_stored_rows_are_what_the_column_types_write(
    databases: tuple[Database, Database], monkeypatch: pytest.MonkeyPatch
) -> None:
    stored, typed = databases
    written: list[tuple[Any, ...]] = []

    def write_both(
        session: Session, runs: Any, states: Any, now: dt.datetime, *plain: Any, **ended: Any
    ) -> None:
        runs = list(runs)
        stored_form.write_stored(session, runs, states, now, *plain, **ended)
        written.append((runs, states, now))

    # Every run decided state by state, so that both writers get the same states
    # (plain runs are compared with decided ones below).
    monkeypatch.setattr(rows.NewRun, "is_plain", lambda self: False)
    monkeypatch.setattr(task_runs, "write_stored", write_both)
    result = await stored.write(task_runs.apply_batch, _batch())
    [(runs, states, now)] = written
    await typed.write(rows.write_typed, runs, states, now)

    assert (result.created, result.accepted, len(result.refused)) == (6, 7, 2)
    assert len(_raw(stored, "task_run_state")) == 13
    for table in ("task_run", "task_run_state"):
        for one, other in zip(_raw(stored, table), _raw(typed, table), strict=True):
            # Listed by column, so a failure names the column that differs.
            assert [
                (i, a, b) for i, (a, b) in enumerate(zip(one, other, strict=True)) if a != b
            ] == []


def _created(run_id: str, task_key: str, state: str, at: str, **fields: Any) -> dict[str, Any]:
    """A run's creation in a batch, in its first state at ``at``."""
    first = {"type": state, "timestamp": at}
    return {"id": run_id, "task_key": task_key, "dynamic_key": "0", "state": first, **fields}


def _plain_batch() -> TaskRunBatch:
    """Runs whose every state is accepted as proposed, in the shapes that allows."""
    ids = [str(uuid.uuid4()) for _ in range(11)]
    at = "2026-05-06T07:08:09.123456+00:00"
    later = "2026-05-06T07:08:10.5+00:00"
    return TaskRunBatch.model_validate(
        {
            "task_runs": [
                # The engine's sequential task: Running, then Completed.
                _created(
                    ids[0],
                    "add",
                    "RUNNING",
                    at,
                    flow_run_id=str(FLOW_RUN_ID),
                    name="add-0",
                    empirical_policy={"retries": 0},
                ),
                # Running, Paused, Running, Completed, with tags, inputs, a message and data.
                _created(
                    ids[1],
                    "load",
                    "RUNNING",
                    "2026-05-06T07:08:08Z",
                    dynamic_key="1",
                    flow_run_id=str(FLOW_RUN_ID),
                    tags=["a"],
                    labels={"team": "data"},
                    task_inputs={"x": [{"input_type": "task_run", "id": str(UPSTREAM_ID)}]},
                ),
                # Still Running at the batch's end.
                _created(ids[2], "slow", "RUNNING", at),
                # Pending, which a rule is asked about: decided state by state, in the
                # same batch as the others.
                _created(ids[3], "idle", "PENDING", "2026-05-06T07:08:08Z"),
                # Times in other zones, and naive (UTC).
                _created(ids[4], "zoned", "RUNNING", "2026-05-06T12:38:09+05:30"),
                # A forced proposal no rule is asked about.
                _created(ids[5], "forced", "RUNNING", at),
                # Its details given.
                _created(ids[6], "detailed", "RUNNING", at),
                # Running then one final state, each a type and a time only (the engine's
                # common case, written apart): in another zone, at the same time,
                # ending before it began, with a cache key and expiration.
                _created(ids[7], "fails", "RUNNING", "2026-05-06T12:38:09+05:30"),
                _created(ids[8], "instant", "RUNNING", at),
                _created(ids[9], "backwards", "RUNNING", later),
                _created(
                    ids[10],
                    "cached",
                    "RUNNING",
                    at,
                    cache_key="ck",
                    cache_expiration="2026-06-01T00:00:00+02:00",
                    task_version="v2",
                ),
            ],
            "states": [
                {"task_run_id": ids[0], "state": {"type": "COMPLETED", "timestamp": later}},
                {"task_run_id": ids[1], "state": {"type": "PAUSED", "timestamp": at}},
                {"task_run_id": ids[3], "state": {"type": "RUNNING", "timestamp": at}},
                {"task_run_id": ids[1], "state": {"type": "RUNNING", "timestamp": at}},
                {
                    "task_run_id": ids[4],
                    "state": {
                        "type": "FAILED",
                        "timestamp": "2026-05-06T07:09:00",
                        "message": "boom",
                        "data": {"k": [1, "two", None]},
                    },
                },
                {
                    "task_run_id": ids[1],
                    "state": {
                        "type": "COMPLETED",
                        "timestamp": later,
                        "message": "done",
                        "data": 3,
                    },
                },
                {
                    "task_run_id": ids[5],
                    "force": True,
                    "state": {"type": "COMPLETED", "timestamp": later},
                },
                {
                    "task_run_id": ids[5],
                    "force": True,
                    "state": {
                        "type": "RUNNING",
                        "name": "Retrying",
                        "timestamp": "2026-05-06T07:08:11+00:00",
                    },
                },
                # A retry in place, forced: Running again counts as a new run.
                {
                    "task_run_id": ids[2],
                    "force": True,
                    "state": {"type": "RUNNING", "name": "Retrying", "timestamp": later},
                },
                {
                    "task_run_id": ids[6],
                    "state": {
                        "type": "COMPLETED",
                        "timestamp": later,
                        "state_details": {"cache_key": "k", "task_run_id": ids[6]},
                    },
                },
                {"task_run_id": ids[7], "state": {"type": "FAILED", "timestamp": later}},
                {"task_run_id": ids[8], "state": {"type": "COMPLETED", "timestamp": at}},
                {"task_run_id": ids[9], "state": {"type": "CANCELLED", "timestamp": at}},
                {"task_run_id": ids[10], "state": {"type": "COMPLETED", "timestamp": later}},
            ],
        }
    )


async def test_runs_written_from_their_proposals_are_what_deciding_each_state_writes(
    databases: tuple[Database, Database], monkeypatch: pytest.MonkeyPatch
) -> None:
    plain, decided = databases
    batch = _plain_batch()
    runs = [rows.NewRun(run, run.id, rows.Policies().of(run)) for run in batch.task_runs]
    for run in runs:
        run.later = [(i, p) for i, p in enumerate(batch.states) if p.task_run_id == run.id]
    assert [run.is_plain() for run in runs] == [True, True, True, False] + [True] * 7

    first = await plain.write(task_runs.apply_batch, batch)
    monkeypatch.setattr(rows.NewRun, "is_plain", lambda self: False)
    second = await decided.write(task_runs.apply_batch, _plain_batch())

    assert (
        first.model_dump()
        == second.model_dump()
        == {"created": 11, "accepted": 14, "refused": [], "repeated": 0}
    )
    # Ids of runs differ (each batch its own), and so do state ids and creation times:
    # compare everything else, run by run and state by state in their order.
    changing_run = {"id", "state_id", "created", "updated"}
    for query, changing in (
        ("SELECT * FROM task_run ORDER BY task_key", changing_run),
        (
            "SELECT s.* FROM task_run_state s JOIN task_run r ON r.id = s.task_run_id"
            " ORDER BY r.task_key, s.timestamp",
            {"id", "task_run_id"},
        ),
    ):
        one, other = (_by_column(db, query, changing) for db in (plain, decided))
        assert len(one) == len(other) > 0
        for a, b in zip(one, other, strict=True):
            assert {k: (v, b[k]) for k, v in a.items() if v != b[k] and k != "state_details"} == {}
            assert _without_run_id(a.get("state_details")) == _without_run_id(
                b.get("state_details")
            )


def _ended_runs() -> list[list[Any]]:
    """Ended runs in every shape: zones, equal and reversed times, policies, no flow run."""
    at = "2026-05-06T07:08:09.123456+00:00"
    flow_run = str(FLOW_RUN_ID)
    return [
        [str(uuid.uuid4()), flow_run, key, "0", f"{key}-0", count, retries, start, end, final]
        for key, count, retries, start, end, final in (
            ("done", 1, 0, at, "2026-05-06T07:08:10.5+00:00", "COMPLETED"),
            ("zoned", 2, 3, "2026-05-06T12:38:09+05:30", "2026-05-06T07:09:00Z", "FAILED"),
            ("instant", 1, None, at, at, "CRASHED"),
            ("reversed", 1, 0, "2026-05-06T07:08:10-08:00", at, "CANCELLED"),
        )
    ] + [[str(uuid.uuid4()), None, "alone", "0", "alone-0", 0, None, at, at, "COMPLETED"]]


def _as_creations(ended: list[list[Any]]) -> TaskRunBatch:
    runs, states = [], []
    for run_id, flow_run_id, key, dynamic_key, name, count, retries, start, end, final in ended:
        runs.append(
            _created(
                run_id,
                key,
                "RUNNING",
                start,
                dynamic_key=dynamic_key,
                name=name,
                flow_run_id=flow_run_id,
                flow_run_run_count=count,
                **({} if retries is None else {"empirical_policy": {"retries": retries}}),
            )
        )
        states.append({"task_run_id": run_id, "state": {"type": final, "timestamp": end}})
    return TaskRunBatch.model_validate({"task_runs": runs, "states": states})


async def test_ended_runs_are_written_as_deciding_their_two_states_writes(
    databases: tuple[Database, Database], monkeypatch: pytest.MonkeyPatch
) -> None:
    plain, decided = databases
    ended = _ended_runs()

    first = await plain.write(
        task_runs.apply_batch, TaskRunBatch.model_validate({"ended_runs": ended})
    )
    monkeypatch.setattr(rows.NewRun, "is_plain", lambda self: False)
    second = await decided.write(task_runs.apply_batch, _as_creations(ended))

    assert (
        first.model_dump()
        == second.model_dump()
        == {"created": 5, "accepted": 5, "refused": [], "repeated": 0}
    )
    for query, changing in (
        ("SELECT * FROM task_run ORDER BY id", {"state_id", "created", "updated"}),
        ("SELECT * FROM task_run_state ORDER BY task_run_id, timestamp, type", {"id"}),
    ):
        one, other = (_by_column(db, query, changing) for db in (plain, decided))
        assert len(one) == len(other) > 0
        for a, b in zip(one, other, strict=True):
            assert {k: (v, b[k]) for k, v in a.items() if v != b[k]} == {}


def _by_column(db: Database, query: str, changing: set[str]) -> list[dict[str, Any]]:
    assert db.sync_engine is not None
    with db.sync_engine.connect() as connection:
        result = connection.exec_driver_sql(query)
        names = list(result.keys())
        return [
            {k: v for k, v in zip(names, row, strict=True) if k not in changing} for row in result
        ]


def _without_run_id(details: str | None) -> Any:
    if details is None:
        return None
    loaded = json.loads(details)
    loaded.pop("task_run_id", None)
    return loaded


def test_a_timestamp_in_any_zone_at_utc_is_stored_as_utc_text() -> None:
    # pydantic parses "Z" and "+00:00" into a zone of its own, not ``datetime.UTC``.
    instant = dt.datetime(2026, 5, 6, 7, 8, 9, 123456, tzinfo=dt.UTC)
    body = {
        "states": [
            {
                "task_run_id": str(uuid.uuid4()),
                "state": {"type": "RUNNING", "timestamp": "2026-05-06T07:08:09.123456Z"},
            }
        ]
    }
    parsed = TaskRunBatch.model_validate_json(json.dumps(body)).states[0].state.timestamp
    assert parsed is not None and parsed.tzinfo is not dt.UTC
    expected = "2026-05-06 07:08:09.123456"
    assert sqlite_timestamp(parsed) == sqlite_timestamp(instant) == expected
    assert sqlite_timestamp(instant.replace(tzinfo=None)) == expected
    assert sqlite_timestamp(instant.astimezone(EAST)) == expected


def test_a_batch_writes_each_time_as_the_column_type_would() -> None:
    base = dt.datetime(2026, 5, 6, 7, 8, 9, 123456, tzinfo=dt.UTC)
    parsed_zulu = (
        TaskRunBatch.model_validate_json(
            json.dumps(
                {
                    "states": [
                        {
                            "task_run_id": str(uuid.uuid4()),
                            "state": {"type": "RUNNING", "timestamp": "2026-05-06T07:08:09.5Z"},
                        }
                    ]
                }
            )
        )
        .states[0]
        .state.timestamp
    )
    times = [
        base,
        base.replace(microsecond=0),  # same second, other microseconds
        base.replace(microsecond=999999),
        base + dt.timedelta(seconds=1),
        base + dt.timedelta(days=40),
        base.astimezone(EAST),  # the same instant in another zone
        (base + dt.timedelta(microseconds=1)).astimezone(WEST),
        base.replace(tzinfo=None),  # naive: UTC
        parsed_zulu,
        dt.datetime(999, 1, 2, 3, 4, 5, 6, tzinfo=dt.UTC),
        # A zone at offset zero in winter only, then the same zone in summer.
        dt.datetime(2026, 1, 6, 7, 8, 9, 5, tzinfo=zoneinfo.ZoneInfo("Europe/London")),
        dt.datetime(2026, 7, 6, 7, 8, 9, 5, tzinfo=zoneinfo.ZoneInfo("Europe/London")),
        dt.datetime(2026, 7, 6, 7, 8, 9, 6, tzinfo=dt.UTC),  # its wall time, but in UTC
        base.astimezone(zoneinfo.ZoneInfo("UTC")),
    ]
    texts = stored_form._Texts()
    assert [texts.of(t) for t in times] == [sqlite_timestamp(t) for t in times]
    assert [texts.of(t) for t in reversed(times)] == [sqlite_timestamp(t) for t in reversed(times)]
    assert texts.of(None) is None


def test_stored_rows_name_every_column() -> None:
    # A column left out would get no Python-side default on this path.
    assert set(stored_form._RUN_COLUMNS) == set(rows.TASK_RUN_TABLE.columns.keys())
    assert set(stored_form._STATE_COLUMNS) == set(rows.TASK_RUN_STATE_TABLE.columns.keys())


async def test_a_batch_larger_than_one_statement_writes_every_row(
    databases: tuple[Database, Database],
) -> None:
    stored, _ = databases
    count = 2 * multirow.STATEMENT_ROWS[0] + 1  # two full statements and one of a single row
    ids = [str(uuid.uuid4()) for _ in range(count)]
    batch = TaskRunBatch.model_validate(
        {
            "task_runs": [
                {
                    "id": run_id,
                    "task_key": "t",
                    "dynamic_key": str(i),
                    "flow_run_id": str(FLOW_RUN_ID),
                    "state": {"type": "RUNNING"},
                }
                for i, run_id in enumerate(ids)
            ],
            "states": [{"task_run_id": run_id, "state": {"type": "COMPLETED"}} for run_id in ids],
        }
    )
    result = await stored.write(task_runs.apply_batch, batch)

    assert (result.created, result.accepted, result.refused) == (count, count, [])
    runs = _raw(stored, "task_run")
    columns = list(rows.TASK_RUN_TABLE.columns.keys())
    by_id = {row[columns.index("id")]: row for row in runs}
    assert sorted(by_id) == sorted(uuid.UUID(run_id).hex for run_id in ids)
    assert {row[columns.index("state_type")] for row in runs} == {"COMPLETED"}
    assert sorted(int(row[columns.index("dynamic_key")]) for row in runs) == list(range(count))
    states = _raw(stored, "task_run_state")
    assert len(states) == 2 * count


@pytest.fixture
def executed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of rows of every insert statement executed (each size is compiled once)."""
    sizes: list[int] = []
    real_statement = multirow.MultiRowInsert._statement

    def counting(self: multirow.MultiRowInsert, size: int) -> str:
        sizes.append(size)
        return real_statement(self, size)

    monkeypatch.setattr(multirow.MultiRowInsert, "_statement", counting)
    return sizes


async def test_batches_of_any_size_use_a_few_statement_sizes_and_write_every_row(
    databases: tuple[Database, Database], executed: list[int]
) -> None:
    # Every new statement is compiled; a statement per batch size would be compiled
    # for nearly every batch. The sizes used must come from the fixed ladder.
    stored, _ = databases
    sizes = [1, 2, 4, 6, 19, 21, 99, 101, 127, 733]
    for size in sizes:
        ids = [str(uuid.uuid4()) for _ in range(size)]
        batch = TaskRunBatch.model_validate(
            {
                "task_runs": [
                    {"id": run_id, "task_key": f"k{size}", "dynamic_key": str(i)}
                    for i, run_id in enumerate(ids)
                ],
                "states": [{"task_run_id": run_id, "state": {"type": "RUNNING"}} for run_id in ids],
            }
        )
        result = await stored.write(task_runs.apply_batch, batch)
        assert (result.created, result.accepted) == (size, size)

    assert set(executed) <= set(multirow.STATEMENT_ROWS)
    runs = _raw(stored, "task_run")
    columns = list(rows.TASK_RUN_TABLE.columns.keys())
    for size in sizes:
        keys = sorted(
            int(row[columns.index("dynamic_key")])
            for row in runs
            if row[columns.index("task_key")] == f"k{size}"
        )
        assert keys == list(range(size))
    # each run: its Pending creation and the Running proposal
    assert len(_raw(stored, "task_run_state")) == 2 * sum(sizes)


async def test_ended_runs_of_any_number_are_written_whole_in_a_few_statement_sizes(
    databases: tuple[Database, Database], executed: list[int]
) -> None:
    stored, _ = databases
    at, later = "2026-05-06T07:08:09.5+00:00", "2026-05-06T07:08:10.25+00:00"
    sizes = [1, 6, 101, 733, 2 * multirow.STATEMENT_ROWS[0] + 1]
    sent: dict[str, tuple[int, int]] = {}
    for size in sizes:
        finals = ["COMPLETED" if i % 2 else "FAILED" for i in range(size)]
        ended = [
            [
                str(uuid.uuid4()),
                str(FLOW_RUN_ID),
                f"k{size}",
                str(i),
                f"n{i}",
                1,
                0,
                at,
                later,
                final,
            ]
            for i, final in enumerate(finals)
        ]
        sent.update({uuid.UUID(run[0]).hex: (size, i) for i, run in enumerate(ended)})
        batch = TaskRunBatch.model_validate({"ended_runs": ended})
        result = await stored.write(task_runs.apply_batch, batch)
        assert (result.created, result.accepted) == (size, size)

    assert set(executed) <= set(multirow.STATEMENT_ROWS)
    columns = list(rows.TASK_RUN_TABLE.columns.keys())
    runs = {row[columns.index("id")]: row for row in _raw(stored, "task_run")}
    assert runs.keys() == sent.keys()
    for run_id, row in runs.items():
        size, i = sent[run_id]
        value = dict(zip(columns, row, strict=True))
        assert (value["task_key"], value["dynamic_key"], value["name"]) == (
            f"k{size}",
            str(i),
            f"n{i}",
        )
        assert value["state_type"] == ("COMPLETED" if i % 2 else "FAILED")
        assert value["created"] == value["updated"] is not None
        assert (value["start_time"], value["end_time"]) == (
            "2026-05-06 07:08:09.500000",
            "2026-05-06 07:08:10.250000",
        )
    states = _raw(stored, "task_run_state")
    assert len(states) == 2 * len(sent)
    by_run: dict[str, list[str]] = {}
    for state in states:
        by_run.setdefault(state[0], []).append(state[2])
    assert {run_id: sorted(types) for run_id, types in by_run.items()} == {
        run_id: sorted(["RUNNING", "COMPLETED" if i % 2 else "FAILED"])
        for run_id, (_, i) in sent.items()
    }


async def test_present_ids_are_found_among_any_number_of_ids_asked(
    databases: tuple[Database, Database],
) -> None:
    # The ids go to SQLite as one JSON array, one statement whatever their number.
    db, _ = databases
    await db.write(task_runs.apply_batch, _plain_batch())
    table = rows.TASK_RUN_TABLE
    held = await db.read(
        lambda s: list(s.execute(table.select().with_only_columns(table.c.id)).scalars())
    )

    def ask(session: Session) -> list[set[uuid.UUID]]:
        answers = [
            rows.present_ids(session, table, [uuid.uuid4() for _ in range(size)] + held[:3])
            for size in (0, 7, 2_500, 40_000)
        ]
        answers.append(rows.present_ids(session, rows.FLOW_RUN_TABLE, [FLOW_RUN_ID, uuid.uuid4()]))
        answers.append(rows.present_ids(session, table, []))
        return answers

    answers = await db.read(ask)

    assert len(held) == 11
    assert answers == [set(held[:3])] * 4 + [{FLOW_RUN_ID}, set()]
