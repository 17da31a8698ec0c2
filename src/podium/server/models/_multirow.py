"""Multi-row ``INSERT`` statements for SQLite, in a few fixed sizes.

The task-run batch writes thousands of rows per table; these send them as a few
statements of many rows each, through the session's sqlite3 connection, in sizes
the driver's statement cache keeps.
"""

from __future__ import annotations

import sqlite3
from itertools import chain
from typing import Any

from podium.server.database.prepared import sqlite_driver

__all__ = ["STATEMENT_ROWS", "MultiRowInsert", "TemplateInsert"]


# Beyond a few hundred rows a statement saved nothing more (measured on batches of
# 1,000); below, each size saves most of what the next larger one would.
STATEMENT_ROWS = (500, 100, 20, 5, 1)


class MultiRowInsert:
    """Rows into one table, many rows per statement, in statements of a few sizes.

    One statement of a few hundred rows costs SQLite less than as many steps of a
    prepared one-row statement (``executemany``), and releases the GIL once instead
    of once per row. The statements have one of the sizes of :data:`STATEMENT_ROWS`
    (a batch of 733 rows is 500 + 2 x 100 + 20 + 5 + 5 + 3 x 1), so that the
    driver's statement cache (128 per connection) keeps them: a statement of a size
    of its own was compiled for its batch alone, and compiling a multi-row insert
    cost more than running it (about 10 against 4.5 us a task-run row).
    """

    sizes: tuple[int, ...] = STATEMENT_ROWS

    def __init__(self, table: str, columns: tuple[str, ...]) -> None:
        self._head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
        self._row = f"({', '.join('?' * len(columns))})"
        self._width = len(columns)
        self._sql: dict[int, str] = {}

    def __call__(
        self, connection: Any, rows: list[tuple[Any, ...]], shared: tuple[Any, ...] = ()
    ) -> None:
        driver = sqlite_driver(connection)
        limit = driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) - len(shared)
        start, end = 0, len(rows)
        for size in self.sizes:
            if size > 1 and size * self._width > limit:
                continue
            while end - start >= size:
                chunk = rows[start : start + size]
                driver.execute(self._statement(size), (*shared, *chain.from_iterable(chunk)))
                start += size

    def _statement(self, size: int) -> str:
        sql = self._sql.get(size)
        if sql is None:
            sql = self._sql[size] = self._head + ", ".join(self._values(size))
        return sql

    def _values(self, size: int) -> list[str]:
        return [self._row] * size


class TemplateInsert(MultiRowInsert):
    """Rows into one table from a template of numbered parameters, repeated per item.

    Each item's values go in ``?N`` parameters that the template may read more than
    once, beside constants written in the statement and parameters shared by every
    item (``?1`` ... ``?k``, given once per statement). A text parameter costs SQLite
    a copy of the text into memory of its own, about 800 instructions: a value
    bound once instead of two or three times, or written in the statement, saves
    that much each time.

    Compiling such a statement costs more the more parameters it reads twice (SQLite
    looks each one up in a list of those seen so far): 26 against 1.9 ms at 500 rows,
    1.2 against 0.3 at 100. Its largest statement has 100 rows.
    """

    sizes = STATEMENT_ROWS[1:]

    def __init__(
        self, table: str, columns: tuple[str, ...], template: str, width: int, shared: int
    ) -> None:
        super().__init__(table, columns)
        self._template = template
        self._width = width
        self._shared = shared

    def _values(self, size: int) -> list[str]:
        # ``{0}``, ``{1}``, ... of the template are the item's parameters, in order.
        first = self._shared + 1
        return [
            self._template.format(
                *(f"?{first + item * self._width + i}" for i in range(self._width))
            )
            for item in range(size)
        ]
