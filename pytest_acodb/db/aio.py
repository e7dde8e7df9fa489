"""Async SQLAlchemy engines (aiosqlite) on a test's database, with the kit's driver and settings.

aiosqlite runs a DB-API connection in a thread of its own; here that connection is made by the
run's :class:`~pytest_acodb.db.connect.Connector`, so it uses the same SQLite library (an
in-memory database is only shared within one library) with foreign keys on. Under isolation
``rollback`` it is the test's own connection, so async statements join the test's outer
transaction as the sync fixtures' do.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING, Any

from .connect import Database

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

ITER_CHUNK_SIZE = 64
"""Rows aiosqlite fetches per round trip to its thread (its own default)."""


class _Borrowed:
    """The test's connection lent to aiosqlite under rollback: ``close()`` gives it back
    instead of closing it, and the SQL functions SQLAlchemy registers on every new connection
    are not counted as the test's doing."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "_conn":
            object.__setattr__(self, name, value)
        else:
            setattr(self._conn, name, value)

    def close(self) -> None:
        pass

    def create_function(self, *args: Any, **kwargs: Any) -> None:
        with self._conn.quietly():
            self._conn.create_function(*args, **kwargs)


def async_engine(database: Database) -> AsyncEngine:
    """A SQLAlchemy ``AsyncEngine`` (``sqlite+aiosqlite``) on ``database``, made with
    ``hide_parameters=True`` and ``NullPool`` (an aiosqlite connection belongs to one event loop,
    and tests may each run their own). Raises ``ImportError`` naming the packages when aiosqlite
    or greenlet is missing."""
    try:
        import aiosqlite

        if importlib.util.find_spec("greenlet") is None:  # SQLAlchemy's async API needs it
            raise ImportError("No module named 'greenlet'")
    except ImportError as error:
        raise ImportError(
            f"the async fixtures need aiosqlite and greenlet ({error}); "
            "pip install 'pytest-acodb[async]'"
        ) from error
    from sqlalchemy import event
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool

    connector = database.connector
    if database.isolation == "rollback":
        assert database.engine is not None
        sync = database.engine

        def guarded() -> Any:
            proxied = sync.raw_connection()
            raw = proxied.driver_connection
            proxied.close()
            return raw

        def open_connection() -> Any:
            return _Borrowed(guarded())

    else:
        uri = database.sqlite_uri

        def open_connection() -> Any:
            return connector.connect(uri, uri=True, autocommit=False)

    async def creator() -> Any:
        return await aiosqlite.Connection(open_connection, ITER_CHUNK_SIZE)

    engine = create_async_engine(
        "sqlite+aiosqlite://", async_creator=creator, poolclass=NullPool, hide_parameters=True
    )
    if database.isolation == "rollback":
        # The test's connection is in autocommit mode: begin its savepoint as the sync engine
        # does (this runs between two awaits, while aiosqlite's thread is idle).
        def begin(connection: Any) -> None:
            guarded().begin()

        event.listen(engine.sync_engine, "begin", begin)
    return engine
