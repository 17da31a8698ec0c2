"""Worker status, and the lease that keeps each service in one replica at a time."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from podium.schemas.work_pools import WorkerHeartbeat, WorkPoolCreate
from podium.server.database import Database, orm
from podium.server.models import work_pools, workers
from podium.server.services import LoopService, ServiceRunner, WorkerStatus
from podium.server.services.base import take_lease
from podium.settings import Settings

T0 = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.UTC)


async def test_workers_missing_three_heartbeats_go_offline(
    db: Database, settings: Settings
) -> None:
    await db.write(lambda s: work_pools.create_work_pool(s, WorkPoolCreate(name="pool")))
    beat = WorkerHeartbeat(name="w", heartbeat_interval_seconds=10)
    await db.write(workers.worker_heartbeat, "pool", beat, now=T0)
    service = WorkerStatus(db, settings)

    assert await service.run_once(now=T0 + dt.timedelta(seconds=25)) == 0
    assert (await db.read(work_pools.read_work_pool, "pool")).status == "READY"
    assert await service.run_once(now=T0 + dt.timedelta(seconds=31)) >= 2

    pool = await db.read(work_pools.read_work_pool, "pool")
    assert pool.status == "NOT_READY"
    statuses = await db.read(
        lambda s: [w.status for w in s.query(orm.Worker).all()]  # noqa: RUF100
    )
    assert statuses == ["OFFLINE"]


async def test_lease_is_held_by_one_holder_until_it_expires(db: Database) -> None:
    ttl = dt.timedelta(seconds=30)

    async def take(holder: str, at: dt.datetime) -> bool:
        return await db.write(take_lease, "scheduler", holder, now=at, ttl=ttl)

    assert await take("a", T0)
    assert not await take("b", T0 + dt.timedelta(seconds=10))
    assert await take("a", T0 + dt.timedelta(seconds=20))  # renewed until T0+50s
    assert not await take("b", T0 + dt.timedelta(seconds=45))
    assert await take("b", T0 + dt.timedelta(seconds=51))
    assert not await take("a", T0 + dt.timedelta(seconds=52))

    lease = await db.read(lambda s: s.get(orm.ServiceLease, "scheduler"))
    assert (lease.holder, lease.fencing) == ("b", 2)


class Counting(LoopService):
    name = "counting"
    calls = 0

    @property
    def interval(self) -> float:
        return 0.05

    async def run_once(self, now: dt.datetime | None = None) -> int:
        type(self).calls += 1
        return 0


async def test_only_one_of_two_runners_runs_a_service(db: Database, settings: Settings) -> None:
    Counting.calls = 0
    first = ServiceRunner(db, [Counting(db, settings)], holder="one")
    second = ServiceRunner(db, [Counting(db, settings)], holder="two")
    first.start()
    await asyncio.sleep(0.2)
    second.start()
    await asyncio.sleep(0.3)
    lease: Any = await db.read(lambda s: s.get(orm.ServiceLease, "counting"))
    await first.stop()
    await second.stop()

    assert Counting.calls >= 3
    assert lease.holder == "one"
    assert lease.fencing == 1
