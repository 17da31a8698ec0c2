"""SQL both dialects spell differently: ``INSERT ... ON CONFLICT``."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session


def upsert(session: Session, model: Any) -> Any:
    """An ``insert`` into ``model`` that supports ``on_conflict_do_nothing/update``.

    PostgreSQL and SQLite (3.24+) both implement ``ON CONFLICT``; SQLAlchemy
    has one construct per dialect with the same methods.
    """
    if session.get_bind().dialect.name == "postgresql":
        # Imported here: a SQLite server never loads the PostgreSQL dialect (start-up).
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(model)
    return sqlite.insert(model)
