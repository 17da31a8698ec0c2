"""Run and state ids: time-ordered version 7 UUIDs, never repeated across seeds or forks."""

from __future__ import annotations

import datetime as dt
import os
import random
import time
import uuid

from podium._ids import hex_of_int, new_hexes, new_uuid, new_uuid_int, uuid_of_int


def test_ids_are_unique_version_7_uuids_holding_their_time() -> None:
    before = dt.datetime.now(dt.UTC)
    ids = [new_uuid() for _ in range(2000)]
    after = dt.datetime.now(dt.UTC)

    assert len(set(ids)) == len(ids)
    assert all(i.version == 7 and i.variant == uuid.RFC_4122 for i in ids)
    for i in (ids[0], ids[-1]):
        made = dt.datetime.fromtimestamp((i.int >> 80) / 1000, dt.UTC)
        assert before - dt.timedelta(milliseconds=1) <= made <= after


def test_ids_made_together_are_unique_version_7_uuids_holding_their_time() -> None:
    before = dt.datetime.now(dt.UTC)
    hexes = new_hexes(3000) + new_hexes(1)
    after = dt.datetime.now(dt.UTC)

    ids = [uuid.UUID(hex_) for hex_ in hexes]
    assert [i.hex for i in ids] == hexes
    assert len(set(ids)) == len(ids)
    assert all(i.version == 7 and i.variant == uuid.RFC_4122 for i in ids)
    made = {dt.datetime.fromtimestamp((i.int >> 80) / 1000, dt.UTC) for i in ids}
    assert all(before - dt.timedelta(milliseconds=1) <= m <= after for m in made)
    # the random digits are random: each position takes many values
    assert all(len({h[p] for h in hexes}) >= 4 for p in range(17, 32))
    assert new_hexes(0) == []


def test_later_ids_sort_after_earlier_ones() -> None:
    earlier = [new_uuid() for _ in range(100)]
    time.sleep(0.002)
    later = [new_uuid() for _ in range(100)]

    assert max(earlier) < min(later)
    assert max(map(str, earlier)) < min(map(str, later))  # as text too, as SQLite keeps them


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


def test_an_id_made_as_an_integer_is_the_same_kind_of_uuid() -> None:
    numbers = [new_uuid_int() for _ in range(500)]
    ids = [uuid_of_int(n) for n in numbers]

    assert len(set(numbers)) == len(numbers)
    for made, number in zip(ids, numbers, strict=True):
        assert made == uuid.UUID(int=number) and made.hex == f"{number:032x}"
    assert all(i.version == 7 and i.variant == uuid.RFC_4122 for i in ids)
    assert hash(ids[0]) == hash(uuid.UUID(int=numbers[0]))


def test_the_hex_of_an_id_is_the_uuids_hex_with_its_leading_zeros() -> None:
    numbers = [0, 1, 0xABC, 1 << 127, (1 << 128) - 1, *(new_uuid_int() for _ in range(50))]

    for number in numbers:
        assert hex_of_int(number) == uuid.UUID(int=number).hex
    assert hex_of_int(1) == "0" * 31 + "1"
