"""Isolation ``clone``: one database per session, refilled from the template after every test
that committed, through connections kept for the whole session."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ...errors import ConnectionLeakError, RefillError
from .. import driver as drivers
from ..connect import BUSY_TIMEOUT_S, Database, connections_opened, file_database, memory_database
from ..template import Template
from .watch import WatchedConnection, changed, watched_class

REFILL_WAIT_MS = 250
"""Milliseconds a refill or a lock probe waits on a lock before it gives up on the database
(tests run one at a time, so only a connection a test left open can hold one)."""


class CloneSlot:
    """One database for a whole session, a copy of the template at the start of every test.

    One ``Engine`` (QueuePool, foreign keys on, pysqlite's default transaction handling) serves
    every test, and its pooled connections are kept from test to test: the dialect is
    initialised once, the schema parsed once, statements prepared once. After a test,
    :meth:`end_test`:

    * moves to a new database at a new URL when the test left a connection checked out of the
      engine (so it cannot block or see the next test), and raises
      :class:`~pytest_acodb.errors.ConnectionLeakError` when a connection the test left open
      holds a lock;
    * closes the engine's connections when the test changed one of them
      (:mod:`.watch`: PRAGMAs, TEMP objects, ATTACH, functions...) or closed one;
    * refills the database only when something was committed to it (``PRAGMA data_version`` of
      the keeper moved): :meth:`Template.refill` writes the changed pages and keeps the schema
      cookie, so the kept connections stay valid.

    ``directory``: where the file lives (``None``: in memory).
    """

    def __init__(self, template: Template, directory: Path | None) -> None:
        self.template = template
        self.directory = directory
        self._generation = 0
        self._watched = watched_class(template.connector.driver)
        self._connections: list[WatchedConnection] = []
        self._engine_connects = 0
        self.database = self._open()

    # -- the database ------------------------------------------------------------------------

    def _open(self) -> Database:
        import sqlalchemy.pool
        from sqlalchemy import event

        self._generation += 1
        connector = self.template.connector
        if self.directory is None:
            database = memory_database(connector=connector)
            assert database.keeper is not None
            database.keeper.execute(f"PRAGMA busy_timeout = {REFILL_WAIT_MS}")
            self.template.refill(database.keeper, in_memory=True)
        else:
            path = self.directory / f"clone-{self._generation}.db"
            path.write_bytes(self.template.image)
            database = file_database(path, connector)
            keeper = database.keeper = database.connect()
            keeper.execute(f"PRAGMA busy_timeout = {REFILL_WAIT_MS}")
            # The keeper only copies pages in: a throw-away file needs no durability.
            keeper.execute("PRAGMA synchronous = OFF")
            keeper.execute("PRAGMA journal_mode = MEMORY")
        uri = database.sqlite_uri
        module = connector.driver.module
        watched = self._watched

        in_memory = self.directory is None

        def creator() -> Any:
            conn = module.connect(
                uri, uri=True, check_same_thread=False, timeout=BUSY_TIMEOUT_S, factory=watched
            )
            if not in_memory:  # a throw-away file: no fsync on every commit
                conn.execute("PRAGMA synchronous = OFF")
            return conn

        engine = connector.create_engine(
            database.url,
            creator=creator,
            poolclass=sqlalchemy.pool.QueuePool,
            hide_parameters=True,
        )
        event.listen(engine, "connect", self._watch)
        database.engine = engine
        self._connections = []
        self._clean = self._data_version(database)
        # What tests get: the same database, engine and URL, but closing it (acodb_db.close())
        # cannot close the keeper the session needs.
        self.view = dataclasses.replace(database, keeper=None)
        return database

    def _watch(self, dbapi_connection: Any, _record: Any) -> None:
        self._engine_connects += 1
        dbapi_connection.watch()
        self._connections.append(dbapi_connection)

    @staticmethod
    def _data_version(database: Database) -> int:
        assert database.keeper is not None
        return int(database.keeper.execute("PRAGMA data_version").fetchone()[0])

    def _rotate(self) -> None:
        """Abandon the current database (a connection of the last test may still hold it) for a
        new one at a new URL."""
        old = self.database
        self.database = self._open()
        if old.engine is not None:
            old.engine.dispose()
        old.close()

    def _locked(self) -> bool:
        """True when another connection holds a lock on the database (probed by taking an
        exclusive lock for a moment, waiting at most :data:`REFILL_WAIT_MS`)."""
        keeper = self.database.keeper
        assert keeper is not None
        try:
            keeper.execute("BEGIN EXCLUSIVE")
        except drivers.OperationalError:
            return True
        keeper.execute("ROLLBACK")
        return False

    # -- the Isolation protocol ----------------------------------------------------------------

    def start_test(self) -> Database:
        """The test's database: a copy of the template (refilled after the last test)."""
        self._opened = connections_opened() - self._engine_connects
        return self.view

    def end_test(self) -> None:
        """Put the database and the kept connections back as they were (see the class).

        Raises :class:`~pytest_acodb.errors.ConnectionLeakError` when a connection the test
        left open holds a lock (the slot has moved to a new database)."""
        engine = self.database.engine
        assert engine is not None
        pool: Any = engine.pool
        if pool.checkedout():
            locked = self._locked()
            self._rotate()
            if locked:
                raise ConnectionLeakError(
                    "a connection of acodb_engine (or acodb_session)", memory=self.directory is None
                )
            return
        if any(changed(conn) for conn in self._connections):
            if any(c.database_changed for c in self._connections):
                self._rotate()  # journal mode, page size...: a new database
                return
            engine.dispose()  # the next test gets new connections
            self._connections = []
        opened = connections_opened() - self._engine_connects != self._opened
        if opened and self._locked():
            self._rotate()
            raise ConnectionLeakError("a connection it opened", memory=self.directory is None)
        if self._data_version(self.database) != self._clean:
            self._refill()

    def _refill(self) -> None:
        keeper = self.database.keeper
        assert keeper is not None
        try:
            self.template.refill(keeper, in_memory=self.directory is None)
        except RefillError:
            self._rotate()
            return
        except drivers.OperationalError:
            self._rotate()
            raise ConnectionLeakError(
                "a connection it opened", memory=self.directory is None
            ) from None
        self._clean = self._data_version(self.database)

    @contextmanager
    def writer(self) -> Iterator[Any]:
        """A new autocommit connection to the database, closed after the block."""
        conn = self.database.connect()
        try:
            yield conn
        finally:
            conn.close()

    def kept_connections(self) -> list[WatchedConnection]:
        """The engine's DB-API connections that are open now (for ``--acodb-keep-failed``)."""
        return [c for c in self._connections if not c.closed]

    def close(self) -> None:
        """Dispose of the engine and free the database."""
        if self.database.engine is not None:
            self.database.engine.dispose()
        self.database.close()
