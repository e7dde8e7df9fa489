"""Isolation ``rollback``: one shared database, each test inside an outer transaction."""

from __future__ import annotations

import sqlite3
import weakref
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...errors import IsolationError
from .. import driver as drivers
from ..connect import Database, file_database, memory_database
from ..driver import Driver
from ..template import Template

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

CONNECTION_PRAGMAS: frozenset[str] = frozenset(
    (
        "foreign_keys",
        "recursive_triggers",
        "ignore_check_constraints",
        "query_only",
        "legacy_alter_table",
        "reverse_unordered_selects",
        "automatic_index",
        "trusted_schema",
        "cell_size_check",
        "secure_delete",
        "writable_schema",
        "synchronous",
        "temp_store",
        "cache_size",
        "cache_spill",
        "busy_timeout",
        "journal_mode",
        "locking_mode",
        "mmap_size",
        "case_sensitive_like",
        "count_changes",
        "full_column_names",
        "short_column_names",
        "empty_result_callbacks",
        "threads",
        "hard_heap_limit",
        "soft_heap_limit",
        "analysis_limit",
        "user_version",
        "application_id",
        "page_size",
        "auto_vacuum",
        "max_page_count",
        "encoding",
    )
)
"""PRAGMAs a test must not set under isolation ``rollback``. Most belong to the connection and
survive ``ROLLBACK``, so they would leak into the next test; ``foreign_keys`` is a no-op inside a
transaction, so switching it off would silently not happen. (Setting ``foreign_keys`` on is
allowed: it already is.)"""

_DDL_ACTIONS: dict[int, str] = {
    getattr(sqlite3, f"SQLITE_{name}"): name.replace("_", " ")
    for name in (
        "CREATE_INDEX",
        "CREATE_TABLE",
        "CREATE_TEMP_INDEX",
        "CREATE_TEMP_TABLE",
        "CREATE_TEMP_TRIGGER",
        "CREATE_TEMP_VIEW",
        "CREATE_TRIGGER",
        "CREATE_VIEW",
        "CREATE_VTABLE",
        "DROP_INDEX",
        "DROP_TABLE",
        "DROP_TEMP_INDEX",
        "DROP_TEMP_TABLE",
        "DROP_TEMP_TRIGGER",
        "DROP_TEMP_VIEW",
        "DROP_TRIGGER",
        "DROP_VIEW",
        "DROP_VTABLE",
        "ALTER_TABLE",
        "ATTACH",
        "DETACH",
    )
    if hasattr(sqlite3, f"SQLITE_{name}")
}
_TRUE = ("1", "on", "true", "yes")


if TYPE_CHECKING:
    _Connection = sqlite3.Connection
else:
    _Connection = object


class GuardedConnection(_Connection):
    """A mixin for the driver's connection class (see :func:`guarded_class`): a connection that
    can hold an outer transaction no caller can end.

    Between :meth:`hold` and :meth:`let_go`, every transaction a caller begins through
    :meth:`begin` (wired to SQLAlchemy's ``begin`` event) is a ``SAVEPOINT``; ``commit()``
    releases it and ``rollback()`` rolls back to it. So a Session that commits, or code that
    calls ``connection.commit()``, only ever commits into the outer transaction, which
    :meth:`let_go` rolls back. Outside a hold it behaves like a plain connection in autocommit
    mode whose :meth:`begin` issues ``BEGIN`` (the pysqlite fix from SQLAlchemy's SQLite docs).

    While held, an SQLite authorizer notes in ``refused`` every DDL statement prepared on the
    connection (``CREATE TABLE x``, ``ATTACH``...) and every assignment to one of
    :data:`CONNECTION_PRAGMAS`; the statements still run (the test gets an error at teardown).
    """

    _held = False
    _depth = 0
    _authorizing = False
    refused: list[str]

    def hold(self) -> None:
        """``BEGIN`` the outer transaction."""
        if not self._authorizing:
            # Set once: setting an authorizer expires every prepared statement.
            self.set_authorizer(self._authorize)
            self._authorizing = True
        self.refused = []
        self.execute("BEGIN")
        self._held, self._depth = True, 0

    def let_go(self) -> None:
        """``ROLLBACK`` the outer transaction (when it is still open) and stop guarding."""
        self._held, self._depth = False, 0
        try:
            open_transaction = self.in_transaction
        except drivers.ProgrammingError:  # closed, e.g. by engine.dispose(): nothing to undo
            return
        if open_transaction:
            self.execute("ROLLBACK")

    def begin(self) -> None:
        """Begin a caller's transaction: ``SAVEPOINT`` while held, else ``BEGIN``."""
        if not self._held:
            self.execute("BEGIN")
            return
        self._depth += 1
        self.execute(f"SAVEPOINT acodb_{self._depth}")

    def commit(self) -> None:
        if not self._held:
            super().commit()
        elif self._depth:
            if self.in_transaction:
                self.execute(f"RELEASE acodb_{self._depth}")
            self._depth -= 1

    def rollback(self) -> None:
        if not self._held:
            super().rollback()
        elif self._depth:
            if self.in_transaction:
                self.execute(f"ROLLBACK TO acodb_{self._depth}")
                self.execute(f"RELEASE acodb_{self._depth}")
            self._depth -= 1

    def _authorize(
        self, action: int, arg1: str | None, arg2: str | None, _db: str | None, _src: str | None
    ) -> int:
        # Called when SQLite prepares a statement. PRAGMA statements are prepared on every
        # execution and DDL expires every cached statement, so nothing slips past a cache.
        if not self._held:
            return sqlite3.SQLITE_OK
        what = _DDL_ACTIONS.get(action)
        if what is not None:
            name = arg2 if action == sqlite3.SQLITE_ALTER_TABLE else arg1
            self.refused.append(f"DDL ({what} {name})" if name else f"DDL ({what})")
        elif action == sqlite3.SQLITE_PRAGMA and arg2 is not None and arg1:
            pragma = arg1.lower()
            if pragma in CONNECTION_PRAGMAS and not (
                pragma == "foreign_keys" and arg2.strip("'\"").lower() in _TRUE
            ):
                self.refused.append(f"PRAGMA {pragma} = {arg2}")
        return sqlite3.SQLITE_OK


@cache
def guarded_class(driver: Driver) -> type[GuardedConnection]:
    """The driver's ``Connection`` class with :class:`GuardedConnection` mixed in."""
    return type("GuardedConnection", (GuardedConnection, driver.module.Connection), {})


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
    see the test's uncommitted work and their commits become savepoints. :meth:`end_test` raises
    :class:`IsolationError` (after restoring the database from the template) when the test ran
    DDL or set one of :data:`CONNECTION_PRAGMAS` (the connection's authorizer saw it), ended the
    outer transaction, disposed of the engine, or when another connection committed meanwhile
    (``PRAGMA data_version`` moved). ``directory``: where the file lives (``None``: in memory).
    """

    def __init__(self, template: Template, directory: Path | None) -> None:
        import sqlalchemy
        from sqlalchemy import event
        from sqlalchemy.pool import StaticPool

        self.template = template
        if directory is None:
            self.database = memory_database(connector=template.connector)
        else:
            self.database = file_database(directory / "shared.db", template.connector)
            self.database.keeper = self.database.connect()
        self.database.isolation = "rollback"
        assert self.database.keeper is not None
        template.restore(self.database.keeper)
        uri = self.database.sqlite_uri
        connector = template.connector
        guarded = guarded_class(connector.driver)
        engine = sqlalchemy.create_engine(
            self.database.url,
            module=connector.driver.module,
            creator=lambda: connector.connect(uri, uri=True, factory=guarded),
            poolclass=StaticPool,
            pool_reset_on_return=None,
            hide_parameters=True,
        )
        event.listen(engine, "begin", _begin_on_driver)
        event.listen(engine, "connect", self._count_connect)
        _ROLLBACK_ENGINES.add(engine)
        self.database.engine = engine
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
        return int(self._raw.execute("PRAGMA data_version").fetchone()[0])

    def start_test(self) -> Database:
        """Begin the outer transaction; returns the shared database."""
        self._raw.hold()
        return self.database

    def end_test(self) -> None:
        """Roll the outer transaction back; raises :class:`IsolationError` naming what the test
        did that the rollback cannot undo (the database is restored first)."""
        problems = self._problems()
        self._raw.let_go()
        if problems:
            self.restore()
            raise IsolationError(problems)

    def _problems(self) -> list[str]:
        raw = self._raw
        if self.connects != self._connects:
            return [
                "the engine was disposed during the test (acodb_engine.dispose()), so later "
                "statements ran outside the outer transaction"
            ]
        problems = [f"it ran {what}" for what in dict.fromkeys(raw.refused)]
        if not raw.in_transaction:
            problems.append(
                "the outer transaction ended during the test (a raw COMMIT or "
                "ROLLBACK, or ON CONFLICT ROLLBACK), so later statements were "
                "committed"
            )
        elif self._read_data_version() != self._data_version:
            problems.append(
                "another connection committed to the shared database (PRAGMA "
                "data_version changed): only acodb_engine, acodb_connection and "
                "acodb_session join the test's transaction, not a second engine "
                "on acodb_url"
            )
        return problems

    def restore(self) -> None:
        """Refill the shared database from the template and start over with a new connection."""
        assert self.database.engine is not None and self.database.keeper is not None
        self._raw.let_go()
        self.database.engine.dispose()
        self.template.restore(self.database.keeper)
        self._attach()

    def close(self) -> None:
        """Dispose of the engine and free the database."""
        if self.database.engine is not None:
            self.database.engine.dispose()
        self.database.close()
