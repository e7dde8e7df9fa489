"""Connections, PRAGMAs, migrated templates and per-test copies of them.

A :class:`Template` migrates a directory once into an in-memory database and keeps its serialised
image (the exact bytes of a database file). Each test then gets a copy: an in-memory database
filled through SQLite's backup API, or a file written from the image. In-memory copies use
SQLite's ``memdb`` VFS with a name starting with ``/``, which every connection in the process
can open by URI, so a second engine (or the code under test) reaches the same database.
"""

from __future__ import annotations

import sqlite3
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .migrate import MigrationSource, Migrator

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

BUSY_TIMEOUT_S = 5.0
"""Seconds a connection waits on a locked database before ``database is locked``."""


def connect(database: str | Path, *, uri: bool = False) -> sqlite3.Connection:
    """Open a ``sqlite3`` connection the way the kit needs it.

    Autocommit mode (``isolation_level=None``: the caller issues ``BEGIN``/``COMMIT``), foreign
    keys on (Python's ``sqlite3`` leaves them off, so cascades would silently never happen), a
    busy timeout of :data:`BUSY_TIMEOUT_S` seconds, usable from any thread.
    """
    conn = sqlite3.connect(
        database, uri=uri, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_S
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
    :meth:`close`.
    """

    url: str
    sqlite_uri: str
    path: Path | None = None
    keeper: sqlite3.Connection | None = field(default=None, repr=False)

    def connect(self) -> sqlite3.Connection:
        """A new ``sqlite3`` connection to this database (see :func:`connect`)."""
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


class Template:
    """A migrations directory migrated once; copies of it are cheap.

    ``image`` holds the serialised database (bytes of a database file); ``fingerprint`` is the
    source's checksum-based key plus the SQLite library version. Building raises what
    :meth:`Migrator.run` raises (``MigrateError`` naming the file and statement).
    """

    def __init__(self, source: MigrationSource, image: bytes | None = None) -> None:
        self.source = source
        self.fingerprint = f"{source.fingerprint}-sqlite{sqlite3.sqlite_version}"
        self.build_ns = 0
        if image is None:
            import time

            start = time.perf_counter_ns()
            conn = connect(":memory:")
            try:
                Migrator(source).run(conn)
                image = conn.serialize()
            finally:
                conn.close()
            self.build_ns = time.perf_counter_ns() - start
        self.image = image
        self._origin: sqlite3.Connection | None = None

    def _origin_connection(self) -> sqlite3.Connection:
        if self._origin is None:
            self._origin = sqlite3.connect(":memory:", check_same_thread=False)
            self._origin.deserialize(self.image)
        return self._origin

    def clone_memory(self) -> Database:
        """A new shared in-memory database holding a copy of the template."""
        database = memory_database()
        assert database.keeper is not None
        self._origin_connection().backup(database.keeper)
        return database

    def clone_file(self, path: Path) -> Database:
        """Write a copy of the template to ``path`` (overwritten) and return it as a Database."""
        Path(path).write_bytes(self.image)
        return file_database(Path(path))

    def close(self) -> None:
        """Free the in-memory origin used for copies."""
        if self._origin is not None:
            self._origin.close()
            self._origin = None
