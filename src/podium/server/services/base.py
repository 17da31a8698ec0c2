"""Loop services and the lease that lets one server replica run each at a time.

A service is a plain class: ``run_once(now=None)`` does one pass and returns
how many things it changed; ``interval`` says how long to wait between
passes. Tests call ``run_once`` with the ``now`` they want; the server's
:class:`ServiceRunner` calls it in a loop, but only while it holds the
service's lease row in ``service_lease``. A lease lasts a few intervals and
is renewed by each pass, so when the replica holding it dies another one
takes over once it expires; ``fencing`` counts the changes of holder.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import socket
import uuid
from typing import ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from podium.server.database import Database, orm
from podium.server.models._sql import upsert
from podium.settings import Settings

logger = logging.getLogger("podium.server.services")

MIN_LEASE_SECONDS = 15.0


def default_holder() -> str:
    """A name for this process, unique across replicas and restarts."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def take_lease(
    session: Session, name: str, holder: str, *, now: dt.datetime, ttl: dt.timedelta
) -> bool:
    """Hold (or renew) the lease on ``name`` until ``now + ttl``; ``False`` if another
    holder's lease has not expired."""
    row = session.execute(
        select(orm.ServiceLease).where(orm.ServiceLease.name == name).with_for_update()
    ).scalar()
    if row is None:
        inserted = session.execute(
            upsert(session, orm.ServiceLease)
            .values(name=name, holder=holder, expires=now + ttl, fencing=1)
            .on_conflict_do_nothing(index_elements=["name"])
        )
        if inserted.rowcount == 1:  # type: ignore[attr-defined]
            return True
        row = session.execute(
            select(orm.ServiceLease)
            .where(orm.ServiceLease.name == name)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).scalar_one()
    if row.holder != holder and row.expires > now:
        return False
    if row.holder != holder:
        row.fencing += 1
        row.holder = holder
    row.expires = now + ttl
    return True


def release_lease(session: Session, name: str, holder: str, *, now: dt.datetime) -> None:
    """Let another replica take the lease at once (on shutdown)."""
    row = session.get(orm.ServiceLease, name)
    if row is not None and row.holder == holder:
        row.expires = now


class LoopService:
    """Base of the loop services: a name, an interval, and ``run_once``."""

    name: ClassVar[str]

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings

    @property
    def interval(self) -> float:
        return self.settings.services_loop_seconds

    async def run_once(self, now: dt.datetime | None = None) -> int:
        """One pass; how many objects it changed."""
        raise NotImplementedError


class ServiceRunner:
    """Runs services in this process, each only while this process holds its lease."""

    def __init__(self, db: Database, services: list[LoopService], holder: str | None = None):
        self.db = db
        self.services = services
        self.holder = holder or default_holder()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        for service in self.services:
            self._tasks.append(asyncio.create_task(self._loop(service), name=service.name))

    async def stop(self) -> None:
        if not self._tasks:
            return
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        now = dt.datetime.now(dt.UTC)
        for service in self.services:
            with contextlib.suppress(Exception):
                await self.db.write(release_lease, service.name, self.holder, now=now)

    async def _loop(self, service: LoopService) -> None:
        ttl = dt.timedelta(seconds=max(service.interval * 3, MIN_LEASE_SECONDS))
        while True:
            try:
                now = dt.datetime.now(dt.UTC)
                if await self.db.write(take_lease, service.name, self.holder, now=now, ttl=ttl):
                    changed = await service.run_once()
                    if changed:
                        logger.info("%s changed %d object(s)", service.name, changed)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("Service %s failed; it runs again later", service.name)
            await asyncio.sleep(service.interval)
