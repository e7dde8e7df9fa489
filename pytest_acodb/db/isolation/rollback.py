"""Isolation ``rollback``: one shared database, each test inside an outer transaction."""

from __future__ import annotations

import dataclasses
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...errors import IsolationError
from .. import driver as drivers
from ..connect import Database, file_database, memory_database, refuse_writes, scheme
from ..driver import Driver
from ..template import Template
from .watch import CONNECTION_PRAGMAS, WatchedConnection, watched_class

__all__ = ["CONNECTION_PRAGMAS", "GuardedConnection", "RollbackDatabase", "guarded_class"]

USE_CLONE = (
    "under isolation=rollback the test's database is shared and its rows live in the "
    "transaction of acodb_engine, so acodb_url is read-only for other engines: give the code "
    'under test acodb_engine, or mark the test @pytest.mark.acodb(isolation="clone")'
)
"""The one-line error of a write through a second engine on ``acodb_url`` under rollback."""

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine


class GuardedConnection(WatchedConnection):
    """A mixin for the driver's connection class (see :func:`guarded_class`): a connection that
    can hold an outer transaction no caller can end.

    Between :meth:`hold` and :meth:`let_go`, every transaction a caller begins through
    :meth:`begin` (wired to SQLAlchemy's ``begin`` event) is a ``SAVEPOINT``; ``commit()``
    releases it and ``rollback()`` rolls back to it. So a Session that commits, or code that
    calls ``connection.commit()``, only ever commits into the outer transaction, which
    :meth:`let_go` rolls back. The first savepoint is left out while the outer transaction
    holds no writes (see :meth:`begin`): a test whose session only reads runs ``BEGIN`` and
    ``ROLLBACK``, not five statements. Outside a hold it behaves like a plain connection in
    autocommit mode whose :meth:`begin` issues ``BEGIN`` (the pysqlite fix from SQLAlchemy's
    SQLite docs).

    While held, it notes in ``changes`` (:class:`~.watch.WatchedConnection`) every DDL
    statement prepared on the connection (``CREATE TABLE x``, ``ATTACH``...), every assignment to
    one of :data:`CONNECTION_PRAGMAS` and every Python-level change; the statements still run
    (the test gets an error at teardown).
    """

    watch_ddl = True
    _held = False
    _depth = 0
    _virtual = False
    _clean = -1

    @property
    def refused(self) -> list[str]:
        """What the test did that the outer transaction cannot undo, one phrase each."""
        return self.state_changes()

    def hold(self) -> None:
        """``BEGIN`` the outer transaction."""
        self.watch()
        self.execute("BEGIN")
        self._held, self._depth, self._virtual = True, 0, False
        self._clean = self.total_changes

    def written(self) -> None:
        """Note that the outer transaction holds writes (its first savepoint cannot be left out
        any more; the kit calls it after applying SQL fixtures)."""
        self._clean = -1

    def let_go(self) -> None:
        """``ROLLBACK`` the outer transaction (when it is still open) and stop guarding."""
        self._held, self._depth, self._virtual = False, 0, False
        try:
            open_transaction = self.in_transaction
        except drivers.ProgrammingError:  # closed, e.g. by engine.dispose(): nothing to undo
            return
        if open_transaction:
            self.execute("ROLLBACK")

    def begin(self) -> None:
        """Begin a caller's transaction: ``SAVEPOINT`` while held, else ``BEGIN``.

        The first savepoint is left out while nothing was written in the outer transaction
        (``total_changes`` has not moved since ``BEGIN``): the outer transaction's start is then
        the savepoint itself, so a rollback of the caller's transaction rolls the outer one back
        and begins it again, and a commit leaves the caller's work in it. Most tests' sessions
        then cost no ``SAVEPOINT``, ``ROLLBACK TO`` nor ``RELEASE``."""
        if not self._held:
            self.execute("BEGIN")
            return
        self._depth += 1
        if self._depth == 1 and self.total_changes == self._clean:
            self._virtual = True
            return
        self.execute(f"SAVEPOINT acodb_{self._depth}")

    def commit(self) -> None:
        if not self._held:
            super().commit()
        elif self._depth:
            if self._depth == 1 and self._virtual:
                self._virtual = False
                if self.total_changes != self._clean:
                    self._clean = -1
            elif self.in_transaction:
                self.execute(f"RELEASE acodb_{self._depth}")
            self._depth -= 1

    def rollback(self) -> None:
        if not self._held:
            super().rollback()
        elif self._depth:
            if self._depth == 1 and self._virtual:
                self._virtual = False
                if self.total_changes != self._clean and self.in_transaction:
                    self.execute("ROLLBACK")
                    self.execute("BEGIN")
                    self._clean = self.total_changes
            elif self.in_transaction:
                self.execute(f"ROLLBACK TO acodb_{self._depth}")
                self.execute(f"RELEASE acodb_{self._depth}")
            self._depth -= 1


@cache
def guarded_class(driver: Driver) -> type[GuardedConnection]:
    """The driver's ``Connection`` class with :class:`GuardedConnection` mixed in."""
    cls: type[GuardedConnection] = watched_class(driver, GuardedConnection)
    return cls


_ROLLBACK_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()


def joins_outer_transaction(engine: Engine) -> bool:
    """True for the engine of a :class:`RollbackDatabase` (its transactions are savepoints of a
    test's outer transaction)."""
    return engine in _ROLLBACK_ENGINES


def _begin_on_driver(connection: Connection) -> None:
    """SQLAlchemy ``begin`` event: pysqlite never emits ``BEGIN`` itself in autocommit mode."""
    connection.connection.driver_connection.begin()  # type: ignore[union-attr]


class RollbackDatabase:
    """One migrated database for a whole session; each test runs in a transaction rolled back.

    ``database.engine`` has a single connection (a :class:`GuardedConnection`, StaticPool, no
    reset on return) that every ``Connection`` and ``Session`` of the engine shares, so they all
    see the test's uncommitted work and their commits become savepoints. Tests get a
    :class:`~pytest_acodb.db.connect.Database` whose ``url`` and ``connect()`` open the shared
    database read-only and never wait on a lock (``mode=ro``, busy timeout 0): a write through
    them fails at once (the kit's ``create_engine`` says to use ``acodb_engine`` or clone).

    :meth:`end_test` rolls back, then raises :class:`IsolationError` (after restoring the
    database from the template) when the test ran DDL or set one of
    :data:`CONNECTION_PRAGMAS` (the connection's authorizer saw it), changed the connection from
    Python, closed or disposed of it, ended the outer transaction, or when anything was committed
    to the shared database meanwhile (``PRAGMA data_version`` of a keeper connection moved: a
    ``COMMIT`` on the test's connection, even one followed by a new ``BEGIN``, or another
    connection). ``directory``: where the file lives (``None``: in memory).
    """

    def __init__(self, template: Template, directory: Path | None) -> None:
        import sqlalchemy
        from sqlalchemy import event
        from sqlalchemy.pool import StaticPool

        self.template = template
        if directory is None:
            shared = memory_database(connector=template.connector)
        else:
            shared = file_database(directory / "shared.db", template.connector)
            shared.keeper = shared.connect()
        assert shared.keeper is not None
        template.restore(shared.keeper)
        self._keeper = shared.keeper
        uri = shared.sqlite_uri
        connector = template.connector
        guarded = guarded_class(connector.driver)
        engine = sqlalchemy.create_engine(
            shared.url,
            module=connector.driver.module,
            creator=lambda: connector.connect(uri, uri=True, factory=guarded),
            poolclass=StaticPool,
            pool_reset_on_return=None,
            hide_parameters=True,
        )
        event.listen(engine, "begin", _begin_on_driver)
        event.listen(engine, "connect", self._count_connect)
        _ROLLBACK_ENGINES.add(engine)
        read_only = (
            uri.replace("mode=rwc", "mode=ro")
            if "mode=rwc" in uri
            else f"{uri}{'&' if '?' in uri else '?'}mode=ro"
        )
        url = f"{scheme(connector)}:///{read_only}&uri=true&timeout=0"
        refuse_writes(url, USE_CLONE)
        self.database = dataclasses.replace(
            shared, url=url, sqlite_uri=read_only, keeper=None, engine=engine, isolation="rollback"
        )
        self._shared = shared
        self.connects = 0
        self._attach()

    def _count_connect(self, _dbapi_connection: Any, _record: Any) -> None:
        self.connects += 1

    def _attach(self) -> None:
        """Take hold of the engine's one connection and note the database's data version."""
        assert self.database.engine is not None
        proxied = self.database.engine.raw_connection()
        raw = proxied.driver_connection
        proxied.close()
        assert isinstance(raw, GuardedConnection)
        self._raw = raw
        self._connects = self.connects
        self._data_version = self._read_data_version()

    def _read_data_version(self) -> int:
        return int(self._keeper.execute("PRAGMA data_version").fetchone()[0])

    def start_test(self) -> Database:
        """Begin the outer transaction; returns the shared database."""
        if self._raw.closed:  # closed outside a test: start over
            self.restore()
        self._raw.hold()
        return self.database

    def end_test(self) -> None:
        """Roll the outer transaction back; raises :class:`IsolationError` naming what the test
        did that the rollback cannot undo (the database is restored first)."""
        problems = self._before_rollback()
        self._raw.let_go()
        if not problems and self._read_data_version() != self._data_version:
            problems.append(
                "something was committed to the shared database during the test (a COMMIT "
                "on the test's connection, even one followed by a new BEGIN, or another "
                "connection writing): only acodb_engine, acodb_connection and acodb_session "
                "join the test's transaction, and they must not end it"
            )
        if problems:
            self.restore()
            raise IsolationError(problems)

    def _before_rollback(self) -> list[str]:
        raw = self._raw
        if self.connects != self._connects or raw.closed:
            return [
                "the engine was disposed of or its connection closed during the test "
                "(acodb_engine.dispose(), connection.close()), so statements ran, or would "
                "have run, outside the outer transaction"
            ]
        problems = [f"it ran {what}" for what in dict.fromkeys(raw.refused)]
        if not raw.in_transaction:
            problems.append(
                "the outer transaction ended during the test (a raw COMMIT or "
                "ROLLBACK, or ON CONFLICT ROLLBACK), so later statements were "
                "committed"
            )
        return problems

    def restore(self) -> None:
        """Refill the shared database from the template and start over with a new connection."""
        assert self.database.engine is not None
        if not self._raw.closed:
            self._raw.let_go()
        self.database.engine.dispose()
        self.template.restore(self._keeper)
        self._attach()

    @contextmanager
    def writer(self) -> Iterator[Any]:
        """The test's own connection (in its outer transaction)."""
        try:
            yield self._raw
        finally:
            self._raw.written()

    def kept_connections(self) -> list[WatchedConnection]:
        """The engine's one DB-API connection (for ``--acodb-keep-failed``)."""
        return [] if self._raw.closed else [self._raw]

    def close(self) -> None:
        """Dispose of the engine and free the database."""
        if self.database.engine is not None:
            self.database.engine.dispose()
        self._shared.close()
