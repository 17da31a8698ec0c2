"""store state data as text on SQLite, whatever JSON value it holds

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 04:30:00.000000

A column declared ``JSON`` has numeric affinity on SQLite: a state whose ``data``
was a JSON number was stored as that number and could not be read back. The
``data`` columns of both state tables become ``JSON_TEXT`` (text affinity); the
table is copied, and a number stored earlier becomes its text again. PostgreSQL
keeps JSONB: nothing changes there.
"""

from __future__ import annotations

from typing import Any

from alembic import op
from sqlalchemy import JSON
from sqlalchemy.types import TypeEngine

from podium.server.database.types import JSONValue

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_TABLES = ("flow_run_state", "task_run_state")


def upgrade() -> None:
    _retype_data(JSON(), JSONValue())


def downgrade() -> None:
    _retype_data(JSONValue(), JSON())


def _retype_data(old: TypeEngine[Any], new: TypeEngine[Any]) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in _TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("data", existing_type=old, type_=new, existing_nullable=True)
