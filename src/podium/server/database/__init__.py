"""The database: ORM tables, engines and sessions, migrations."""

from podium.server.database.engine import Database
from podium.server.database.migrate import HEAD, downgrade, reset, upgrade

__all__ = ["HEAD", "Database", "downgrade", "reset", "upgrade"]
