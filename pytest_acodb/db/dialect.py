"""A SQLAlchemy dialect for sqlean-py, so ``sqlite+sqlean://`` URLs open the kit's SQLite.

SQLite's in-memory databases (``vfs=memdb``) are shared by name only within one SQLite library,
and two SQLite libraries in one process do not see each other's file locks (each keeps its own
table of the process's POSIX locks, see sqlite.org/howtocorrupt.html section 2.2). So a URL the
kit hands out (``acodb_url``) must make any engine open the same library as the kit's own
connections: with the default ``sqlean`` driver it reads ``sqlite+sqlean:///...``, and a plain
``sqlalchemy.create_engine(acodb_url)`` then uses this dialect. It is SQLAlchemy's ``pysqlite``
dialect with ``sqlean.dbapi2`` as its DB-API module (the two are drop-in replacements), and it
turns on foreign keys for every connection, as the kit's own connections have them.

Registered under the ``sqlalchemy.dialects`` entry point ``sqlite.sqlean`` and, for processes
where the package's entry points are not installed, when this module is imported.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite

SCHEMES: dict[str, str] = {"sqlean": "sqlite+sqlean", "sqlite3": "sqlite+pysqlite"}
"""The SQLAlchemy URL scheme for each driver name of :data:`pytest_acodb.db.driver.DRIVERS`."""


class SqleanDialect(SQLiteDialect_pysqlite):
    """SQLAlchemy's pysqlite dialect on ``sqlean.dbapi2`` (``sqlite+sqlean://``)."""

    driver = "sqlean"
    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> ModuleType:
        """``sqlean.dbapi2``; raises ``ImportError`` when sqlean-py is not installed."""
        import importlib

        return importlib.import_module("sqlean.dbapi2")

    def on_connect(self) -> Callable[[Any], None]:
        """pysqlite's own set-up, then ``PRAGMA foreign_keys = ON``."""
        inherited = super().on_connect()

        def connect(conn: Any) -> None:
            if inherited is not None:
                inherited(conn)
            conn.execute("PRAGMA foreign_keys = ON")

        return connect


registry.register("sqlite.sqlean", __name__, "SqleanDialect")
