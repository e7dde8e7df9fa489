"""What a test can do to a kept connection that would outlive it, noticed when it happens.

Both isolation strategies keep DB-API connections across tests, so a connection must come back
as it was handed out. :class:`WatchedConnection` is a mixin for the driver's ``Connection``
class (:func:`watched_class`) that notes in ``changes`` what a caller did to it:

* seen by an SQLite authorizer when a statement is prepared: assignments to PRAGMAs
  (``PRAGMA recursive_triggers = ON``), TEMP tables, indexes, triggers and views, ``ATTACH`` and
  ``DETACH``, and (for :mod:`.rollback`, which asks for them) DDL on the database itself;
* seen by the Python methods it overrides: ``create_function``, ``create_aggregate``,
  ``create_window_function``, ``create_collation``, ``set_authorizer``,
  ``set_progress_handler``, ``set_trace_callback``, ``enable_load_extension``,
  ``load_extension``, ``setlimit``, ``setconfig``;
* compared at the end of a test: ``row_factory``, ``text_factory``, ``isolation_level`` and
  (Python 3.12+) ``autocommit``.

What it cannot see is documented in the README (Isolation): C-level calls on the connection's
handle (ctypes), and SQL functions registered through an extension's own SQL.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING, Any

from ..driver import Driver

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
        "schema_version",
        "defer_foreign_keys",
    )
)
"""PRAGMAs whose assignment a test must not leave behind. Most belong to the connection and
survive the test; ``journal_mode``, ``page_size``, ``auto_vacuum`` and ``locking_mode`` change
how the database itself is stored or locked (:data:`DATABASE_PRAGMAS`). Setting
``foreign_keys`` on is allowed: it already is."""

DATABASE_PRAGMAS: frozenset[str] = frozenset(
    ("journal_mode", "page_size", "auto_vacuum", "locking_mode", "schema_version", "encoding")
)
"""Assignments after which a kept database cannot be refilled page by page: isolation
``clone`` moves to a new database."""

_TEMP_ACTIONS = frozenset(
    getattr(sqlite3, f"SQLITE_{name}")
    for name in (
        "CREATE_TEMP_INDEX",
        "CREATE_TEMP_TABLE",
        "CREATE_TEMP_TRIGGER",
        "CREATE_TEMP_VIEW",
        "DROP_TEMP_INDEX",
        "DROP_TEMP_TABLE",
        "DROP_TEMP_TRIGGER",
        "DROP_TEMP_VIEW",
        "ATTACH",
        "DETACH",
    )
)
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
}
_TRUE = ("1", "on", "true", "yes")

if TYPE_CHECKING:
    _Connection = sqlite3.Connection
else:
    _Connection = object


def _python_state(conn: Any) -> tuple[object, ...]:
    return (
        conn.row_factory,
        conn.text_factory,
        conn.isolation_level,
        getattr(conn, "autocommit", None),
    )


class WatchedConnection(_Connection):
    """A mixin for the driver's connection class: notes what a caller changes (see the module).

    :meth:`watch` starts watching (and sets the authorizer the first time; setting one expires
    every prepared statement, so it is done once per connection). :meth:`state_changes` lists
    what changed since, in words. ``database_changed`` is true after an assignment to one of
    :data:`DATABASE_PRAGMAS`; ``closed`` after :meth:`close`.
    """

    changes: list[str]
    database_changed = False
    closed = False
    watch_ddl = False
    """Also note DDL on the database itself (``CREATE TABLE``...) in ``changes``."""
    _watching = False
    _baseline: tuple[object, ...] = ()
    _quiet = 0

    def watch(self) -> None:
        """Take the connection's current state as the one it must keep; forget earlier notes."""
        if not self._watching:
            super().set_authorizer(self._authorize)
            self._watching = True
        self.changes = []
        self.database_changed = False
        self._baseline = _python_state(self)

    def state_changes(self) -> list[str]:
        """What changed since :meth:`watch`, one phrase each (empty when nothing did)."""
        if not self._watching:
            return []
        changes = self.changes
        if not self.closed and _python_state(self) != self._baseline:
            changes = [*changes, "a Python attribute of the connection (row_factory, ...)"]
        return changes

    @contextmanager
    def quietly(self) -> Iterator[None]:
        """Within the block, changes are the kit's own and are not noted."""
        self._quiet += 1
        try:
            yield
        finally:
            self._quiet -= 1

    def note(self, what: str) -> None:
        """Record a change (ignored while the kit itself works on the connection)."""
        if self._watching and not self._quiet:
            self.changes.append(what)

    def close(self) -> None:
        self.closed = True
        super().close()

    def _authorize(
        self, action: int, arg1: str | None, arg2: str | None, _db: str | None, _src: str | None
    ) -> int:
        # Called when SQLite prepares a statement. PRAGMA statements are prepared on every
        # execution and DDL expires every cached statement, so nothing slips past a cache.
        if self._quiet:
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_PRAGMA:
            if arg2 is not None and arg1:
                pragma = arg1.lower()
                if pragma in CONNECTION_PRAGMAS and not (
                    pragma == "foreign_keys" and arg2.strip("'\"").lower() in _TRUE
                ):
                    self.changes.append(f"PRAGMA {pragma} = {arg2}")
                    if pragma in DATABASE_PRAGMAS:
                        self.database_changed = True
            return sqlite3.SQLITE_OK
        if action in _TEMP_ACTIONS or (self.watch_ddl and action in _DDL_ACTIONS):
            what = _DDL_ACTIONS[action]
            name = arg2 if action == sqlite3.SQLITE_ALTER_TABLE else arg1
            self.changes.append(f"DDL ({what} {name})" if name else f"DDL ({what})")
        return sqlite3.SQLITE_OK

    # Python-level state: each override notes the change, then does it.

    def create_function(self, *args: Any, **kwargs: Any) -> None:
        self.note("create_function()")
        super().create_function(*args, **kwargs)

    def create_aggregate(self, *args: Any, **kwargs: Any) -> None:
        self.note("create_aggregate()")
        super().create_aggregate(*args, **kwargs)

    def create_window_function(self, *args: Any, **kwargs: Any) -> None:
        self.note("create_window_function()")
        super().create_window_function(*args, **kwargs)

    def create_collation(self, *args: Any, **kwargs: Any) -> None:
        self.note("create_collation()")
        super().create_collation(*args, **kwargs)

    def set_authorizer(self, *args: Any, **kwargs: Any) -> None:
        self.note("set_authorizer()")
        self._watching = False  # the kit's authorizer is gone: the connection is not reusable
        super().set_authorizer(*args, **kwargs)

    def set_progress_handler(self, *args: Any, **kwargs: Any) -> None:
        self.note("set_progress_handler()")
        super().set_progress_handler(*args, **kwargs)

    def set_trace_callback(self, *args: Any, **kwargs: Any) -> None:
        self.note("set_trace_callback()")
        super().set_trace_callback(*args, **kwargs)

    def enable_load_extension(self, *args: Any, **kwargs: Any) -> None:
        self.note("enable_load_extension()")
        super().enable_load_extension(*args, **kwargs)

    def load_extension(self, *args: Any, **kwargs: Any) -> None:
        self.note("load_extension()")
        super().load_extension(*args, **kwargs)

    def setlimit(self, *args: Any, **kwargs: Any) -> int:
        self.note("setlimit()")
        return int(super().setlimit(*args, **kwargs))

    def setconfig(self, *args: Any, **kwargs: Any) -> bool:
        self.note("setconfig()")
        return bool(super().setconfig(*args, **kwargs))  # type: ignore[misc]


def changed(conn: WatchedConnection) -> bool:
    """True when ``conn`` was closed or changed since it was watched (see the module)."""
    return conn.closed or not conn._watching or bool(conn.state_changes())


@cache
def watched_class(driver: Driver, mixin: type[WatchedConnection] = WatchedConnection) -> type[Any]:
    """The driver's ``Connection`` class with ``mixin`` (a :class:`WatchedConnection`) mixed in."""
    return type(mixin.__name__, (mixin, driver.module.Connection), {})
