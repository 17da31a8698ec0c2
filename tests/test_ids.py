"""Run and state ids: random version 4 UUIDs, never repeated across seeds or forks."""

from __future__ import annotations

import os
import random
import uuid

from podium._ids import new_uuid


def test_ids_are_version_4_uuids() -> None:
    ids = [new_uuid() for _ in range(2000)]

    assert len(set(ids)) == len(ids)
    assert all(i.version == 4 and i.variant == uuid.RFC_4122 for i in ids)


def test_seeding_random_does_not_repeat_ids() -> None:
    random.seed(7)
    first = [new_uuid() for _ in range(300)]
    random.seed(7)
    second = [new_uuid() for _ in range(300)]

    assert set(first).isdisjoint(second)


def test_a_forked_child_does_not_hand_out_its_parents_ids() -> None:
    new_uuid()  # the parent now holds unused random values
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: send one id and leave at once
        try:
            os.write(write, new_uuid().bytes)
        finally:
            os._exit(0)
    os.close(write)
    child_id = uuid.UUID(bytes=os.read(read, 16))
    os.close(read)
    os.waitpid(pid, 0)

    parent_ids = {new_uuid() for _ in range(300)}

    assert child_id not in parent_ids
