"""Connections, PRAGMAs, migrated templates and the per-test databases cut from them.

A :class:`Template` migrates a directory once into an in-memory database and keeps its serialised
image (the exact bytes of a database file), optionally cached on disk across runs
(:meth:`Template.cached`). Tests then get their database in one of two ways:

* isolation ``clone`` -- a :class:`CloneSlot`: one URL and one session-wide SQLAlchemy ``Engine``
  whose database is refilled from the template (SQLite's backup API) before every test, so a test
  pays for a page copy, not for migrations, an engine or a dialect.
* isolation ``rollback`` -- a :class:`RollbackDatabase`: one migrated database shared by the
  session; each test runs inside an outer transaction on a :class:`GuardedConnection` that is
  rolled back afterwards, and whatever the test commits becomes a savepoint inside it.

In-memory databases use SQLite's ``memdb`` VFS with a name starting with ``/``, which every
connection in the process can open by URI, so a second engine (or the code under test) reaches
the same database.
"""

from __future__ import annotations

import os
import sqlite3
import time
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import AcodbError
from .migrate import MigrationSource, Migrator

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

BUSY_TIMEOUT_S = 5.0
"""Seconds a connection waits on a locked database before ``database is locked``."""

TEMPLATES_KEPT = 4
"""How many template images :meth:`Template.cached` keeps in its directory (newest used)."""


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


def template_fingerprint(source: MigrationSource) -> str:
    """The cache key of ``source``'s template: the source's checksum-based hex fingerprint, a
    dash, and the SQLite library version (an image is only reused by the same SQLite)."""
    return f"{source.fingerprint}-sqlite{sqlite3.sqlite_version}"


class Template:
    """A migrations directory migrated once; copies of it are cheap.

    ``image`` holds the serialised database (bytes of a database file); ``fingerprint`` is
    :func:`template_fingerprint`; ``applied``: how many migrations this process ran to make it
    (0 when read from a cache); ``build_ns``: nanoseconds spent migrating (or reading the cache);
    ``cache_path``: the image file when :meth:`cached` was used. Building raises what
    :meth:`Migrator.run` raises (``MigrateError`` naming the file and statement).
    """

    def __init__(self, source: MigrationSource, image: bytes | None = None) -> None:
        self.source = source
        self.fingerprint = template_fingerprint(source)
        self.applied = 0
        self.build_ns = 0
        self.cache_path: Path | None = None
        if image is None:
            start = time.perf_counter_ns()
            conn = connect(":memory:")
            try:
                self.applied = len(Migrator(source).run(conn))
                image = conn.serialize()
            finally:
                conn.close()
            self.build_ns = time.perf_counter_ns() - start
        self.image = image
        self._origin: sqlite3.Connection | None = None

    @classmethod
    def cached(cls, source: MigrationSource, directory: Path) -> Template:
        """The template of ``source``, read from ``directory/<fingerprint>.sqlite`` when a run
        left it there and it still matches every migration's checksum, else built and written
        there (atomically). A file lock (``directory/template.lock``) makes parallel processes
        build it once; the :data:`TEMPLATES_KEPT` most recently used images are kept.
        """
        from filelock import FileLock

        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{template_fingerprint(source)}.sqlite"
        with FileLock(str(directory / "template.lock")):
            start = time.perf_counter_ns()
            origin = _load_image(path, source)
            if origin is not None:
                template = cls(source, origin.serialize())
                template._origin = origin
                template.build_ns = time.perf_counter_ns() - start
                os.utime(path)
            else:
                template = cls(source)
                scratch = path.with_name(f"{path.name}.{os.getpid()}.tmp")
                scratch.write_bytes(template.image)
                os.replace(scratch, path)
                _prune_images(directory, TEMPLATES_KEPT)
        template.cache_path = path
        return template

    def _origin_connection(self) -> sqlite3.Connection:
        if self._origin is None:
            self._origin = sqlite3.connect(":memory:", check_same_thread=False)
            self._origin.deserialize(self.image)
        return self._origin

    def restore(self, target: sqlite3.Connection) -> None:
        """Replace the whole database of ``target`` with a copy of the template, in place.

        Other connections to that database see the copy from their next statement on. Raises
        ``sqlite3.OperationalError`` when another connection holds a lock on it.
        """
        self._origin_connection().backup(target)

    def clone_memory(self) -> Database:
        """A new shared in-memory database holding a copy of the template."""
        database = memory_database()
        assert database.keeper is not None
        self.restore(database.keeper)
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


def _load_image(path: Path, source: MigrationSource) -> sqlite3.Connection | None:
    """An in-memory connection holding the image at ``path`` when it is a database migrated
    with exactly ``source``'s files; ``None`` when missing, unreadable, empty, truncated, not a
    database, or stale."""
    try:
        image = path.read_bytes()
    except OSError:
        return None
    if len(image) < 512:  # smaller than one page: empty or truncated (deserialize would fail)
        return None
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    try:
        conn.deserialize(image)
        if Migrator(source).validate(conn) == []:
            return conn
    except (sqlite3.DatabaseError, AcodbError):
        pass
    conn.close()
    return None


def _prune_images(directory: Path, keep: int) -> None:
    images = sorted(directory.glob("*.sqlite"), key=lambda p: p.stat().st_mtime, reverse=True)
    for stale in images[keep:]:
        stale.unlink(missing_ok=True)


class CloneSlot:
    """One database for a whole session, refilled from the template before every test.

    The URL never changes, so one ``Engine`` (QueuePool, foreign keys on, pysqlite's default
    transaction handling) serves every test: its dialect is initialised once and its compiled-SQL
    cache stays warm. :meth:`end_test` closes the connections a test opened, so each test also
    starts with fresh connections. ``directory``: where the file lives (``None``: in memory).
    """

    def __init__(self, template: Template, directory: Path | None) -> None:
        self.template = template
        self.directory = directory
        self._generation = 0
        self._clean_version: int | None = None
        self.database = self._open()

    def _open(self) -> Database:
        import sqlalchemy.pool

        self._generation += 1
        if self.directory is None:
            database = memory_database()
        else:
            path = self.directory / f"clone-{self._generation}.db"
            database = file_database(path)
            database.keeper = connect(database.sqlite_uri, uri=True)
            # The keeper only copies pages in; durability of a throw-away file is not needed.
            database.keeper.execute("PRAGMA synchronous = OFF")
        database.engine = create_engine(
            database.url, poolclass=sqlalchemy.pool.QueuePool, hide_parameters=True
        )
        return database

    def _rotate(self) -> None:
        """Abandon the current database (a connection of the last test still holds it) for a new
        one at a new URL."""
        old = self.database
        self.database = self._open()
        self._clean_version = None
        if old.engine is not None:
            old.engine.dispose()
        old.close()

    def start_test(self) -> Database:
        """Refill the slot with a copy of the template and return it.

        The copy is skipped when nothing was committed to the database since the last one (the
        keeper's ``PRAGMA data_version`` is unchanged): it still equals the template.
        """
        keeper = self.database.keeper
        assert keeper is not None
        version = keeper.execute("PRAGMA data_version").fetchone()[0]
        if version == self._clean_version:
            return self.database
        try:
            self.template.restore(keeper)
        except sqlite3.OperationalError:
            self._rotate()
            keeper = self.database.keeper
            assert keeper is not None
            self.template.restore(keeper)
            version = keeper.execute("PRAGMA data_version").fetchone()[0]
        # The keeper's own writes (the copy) do not move its data_version; others' commits do.
        self._clean_version = version
        return self.database

    def end_test(self) -> None:
        """Close the connections the test opened through the engine; if one is still checked
        out (leaked by the test), move to a new database so it cannot block or see the next."""
        engine = self.database.engine
        assert engine is not None
        pool: Any = engine.pool
        if pool.checkedout():
            self._rotate()
        elif pool.checkedin():
            engine.dispose()

    def close(self) -> None:
        """Dispose of the engine and free the database."""
        if self.database.engine is not None:
            self.database.engine.dispose()
        self.database.close()


class IsolationError(AcodbError):
    """A test did something isolation ``rollback`` refuses (DDL, a PRAGMA change, ending the
    outer transaction, another connection writing). The shared database has been restored.

    Attributes: ``problems``, one sentence per thing that went wrong.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            "isolation=rollback refuses this test: " + "; ".join(problems) + ". The shared "
            "database was restored for the next test. Run this test on its own copy of the "
            'database instead: @pytest.mark.acodb(isolation="clone")'
        )


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


class GuardedConnection(sqlite3.Connection):
    """A ``sqlite3`` connection that can hold an outer transaction no caller can end.

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
        except sqlite3.ProgrammingError:  # closed, e.g. by engine.dispose(): nothing to undo
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
            self.database = memory_database()
        else:
            self.database = file_database(directory / "shared.db")
            self.database.keeper = connect(self.database.sqlite_uri, uri=True)
        self.database.isolation = "rollback"
        assert self.database.keeper is not None
        template.restore(self.database.keeper)
        uri = self.database.sqlite_uri
        engine = sqlalchemy.create_engine(
            self.database.url,
            creator=lambda: connect(uri, uri=True, factory=GuardedConnection),
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


class Databases:
    """The databases one test session cuts from a template, each made on first use.

    :meth:`get` returns, per isolation and backend, a :class:`CloneSlot` or a
    :class:`RollbackDatabase`; all file-backend ones share one directory. ``template``: the
    template to cut from, or ``None`` to take it from the first :meth:`get`'s ``template``
    callable (so a session fixture can make this object before the template exists).
    """

    def __init__(self, template: Template | None = None) -> None:
        self.template = template
        self._directory: Path | None = None
        self._made: dict[tuple[str, str], CloneSlot | RollbackDatabase] = {}

    def get(
        self,
        isolation: str,
        backend: str,
        make_directory: Callable[[], Path],
        template: Callable[[], Template] | None = None,
    ) -> CloneSlot | RollbackDatabase:
        """The holder for ``isolation`` (``clone``/``rollback``) and ``backend``
        (``memory``/``file``). ``make_directory`` is called once, when the first file-backend
        database is needed, and returns a directory for them unique to this process;
        ``template`` is called once, when the first holder is made and no template was given to
        the constructor (``AcodbError`` if neither gives one)."""
        made = self._made.get((isolation, backend))
        if made is None:
            if self.template is None:
                if template is None:
                    raise AcodbError("Databases.get: no template given")
                self.template = template()
            directory = None
            if backend == "file":
                if self._directory is None:
                    self._directory = make_directory()
                directory = self._directory
            kind = RollbackDatabase if isolation == "rollback" else CloneSlot
            made = self._made[isolation, backend] = kind(self.template, directory)
        return made

    def close(self) -> None:
        """Close every database made."""
        for made in self._made.values():
            made.close()
        self._made.clear()
