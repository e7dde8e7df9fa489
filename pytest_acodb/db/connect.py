"""Connections the kit opens, and the handle of one test's database.

Every connection gets the settings the kit promises (see :func:`connect`); in-memory databases
use SQLite's ``memdb`` VFS with a name starting with ``/``, which every connection in the process
can open by URI, so a second engine (or the code under test) reaches the same database.
"""

from __future__ import annotations

import sqlite3
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

BUSY_TIMEOUT_S = 5.0
"""Seconds a connection waits on a locked database before ``database is locked``."""


def connect(
    database: str | Path, *, uri: bool = False, factory: type[sqlite3.Connection] | None = None
) -> sqlite3.Connection:
    """Open a ``sqlite3`` connection the way the kit needs it.

    Autocommit mode (``isolation_level=None``: the caller issues ``BEGIN``/``COMMIT``), foreign
    keys on (Python's ``sqlite3`` leaves them off, so cascades would silently never happen), a
    busy timeout of :data:`BUSY_TIMEOUT_S` seconds, usable from any thread. ``factory``: a
    ``sqlite3.Connection`` subclass to instantiate (e.g. :class:`GuardedConnection`).
    """
    conn = sqlite3.connect(
        database,
        uri=uri,
        isolation_level=None,
        check_same_thread=False,
        timeout=BUSY_TIMEOUT_S,
        factory=factory or sqlite3.Connection,
    )
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def enable_foreign_keys(engine: Engine) -> Engine:
    """Make every DBAPI connection of a SQLAlchemy ``engine`` run ``PRAGMA foreign_keys = ON``.

    Returns the same engine. Use it on engines the code under test builds itself.
    """
    from sqlalchemy import event

    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA foreign_keys = ON")

    event.listen(engine, "connect", _on_connect)
    return engine


def create_engine(url: str, **kwargs: Any) -> Engine:
    """A SQLAlchemy 2.x ``Engine`` on ``url`` with foreign keys on for every connection.

    ``kwargs`` go to :func:`sqlalchemy.create_engine`.
    """
    import sqlalchemy

    return enable_foreign_keys(sqlalchemy.create_engine(url, **kwargs))


@dataclass
class Database:
    """One test's database.

    ``url``: a SQLAlchemy URL string any engine in this process can open; ``sqlite_uri``: the
    same target for ``sqlite3.connect(..., uri=True)``; ``path``: the file for the file backend
    (``None`` in memory); ``keeper``: the connection that keeps an in-memory database alive until
    :meth:`close`; ``engine``: the session-wide ``Engine`` serving it (``None`` when the caller
    must make one); ``isolation``: ``"clone"`` or ``"rollback"``.
    """

    url: str
    sqlite_uri: str
    path: Path | None = None
    keeper: sqlite3.Connection | None = field(default=None, repr=False)
    engine: Engine | None = field(default=None, repr=False)
    isolation: str = "clone"

    def connect(self) -> sqlite3.Connection:
        """A new ``sqlite3`` connection to this database (see :func:`connect`).

        With isolation ``rollback`` it sees only what is committed in the shared database,
        never the test's open transaction.
        """
        return connect(self.sqlite_uri, uri=True)

    def close(self) -> None:
        """Release the database; an in-memory one is freed once every connection is closed."""
        if self.keeper is not None:
            self.keeper.close()
            self.keeper = None


def memory_database(name: str | None = None) -> Database:
    """An empty shared in-memory database named ``name`` (random when ``None``)."""
    name = name or f"acodb-{uuid.uuid4().hex}"
    sqlite_uri = f"file:/{name}?vfs=memdb"
    keeper = connect(sqlite_uri, uri=True)
    return Database(f"sqlite+pysqlite:///{sqlite_uri}&uri=true", sqlite_uri, None, keeper)


def file_database(path: Path) -> Database:
    """The database file at ``path`` (created on first connection when missing)."""
    path = Path(path)
    return Database(f"sqlite+pysqlite:///{path}", f"{path.as_uri()}?mode=rwc", path)
