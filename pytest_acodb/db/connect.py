"""Every connection the kit opens, with the settings sqlx gives its SQLite connections.

A :class:`Connector` is the driver (:mod:`~pytest_acodb.db.driver`), the extensions to load and
the callbacks to run on each new connection; everything that opens a database (templates, the
per-test databases, the check walk, SQLAlchemy engines, the command line) goes through one, so
they all behave alike. Each connection gets what sqlx's ``SqliteConnectOptions`` gives it
(``sqlx-sqlite/src/options/mod.rs``): foreign keys on, a 5-second busy timeout, and SQLite's
defaults as the ``bundled`` build of ``libsqlite3-sys`` compiles them, so ``recursive_triggers``
off and ``trusted_schema`` on (some Python builds compile other defaults; they are set here).

In-memory databases use SQLite's ``memdb`` VFS with a name starting with ``/``, which every
connection in the process can open by URI, so a second engine (or the code under test) reaches
the same database.

Images: a database image is the exact bytes of a database file. Drivers with ``serialize`` /
``deserialize`` use them; others (``sqlean``) read and write pages through SQLite's
``sqlite_dbpage`` table, on a connection of its own (a connection that wrote pages that way keeps
a stale view of them, so it is only ever used to write pages).
"""

from __future__ import annotations

import importlib
import sqlite3
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ExtensionError
from . import driver as drivers
from .driver import Driver

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

BUSY_TIMEOUT_S = 5.0
"""Seconds a connection waits on a locked database before ``database is locked`` (sqlx's
``SqliteConnectOptions::busy_timeout`` default)."""

SQLX_PRAGMAS: tuple[tuple[str, str], ...] = (
    ("foreign_keys", "ON"),
    ("recursive_triggers", "OFF"),
    ("trusted_schema", "ON"),
)
"""The connection settings every connection gets: sqlx sets ``foreign_keys = ON``; the others
are SQLite's defaults as ``libsqlite3-sys`` compiles them (it defines no
``SQLITE_DEFAULT_RECURSIVE_TRIGGERS`` and no ``SQLITE_TRUSTED_SCHEMA``)."""

_opened = 0


def connections_opened() -> int:
    """How many connections :meth:`Connector.prepare` has prepared in this process (a counter:
    the isolation strategies compare it before and after a test to know whether the test opened
    connections of its own)."""
    return _opened


OnConnect = Callable[[Any], None]
"""A callback run with every new DB-API connection (e.g. to register SQL functions)."""


@dataclass(frozen=True)
class Connector:
    """How the kit opens SQLite connections.

    ``driver``: the :class:`~pytest_acodb.db.driver.Driver`; ``extensions``: entries loaded into
    every connection, each an importable module exposing ``load(connection)`` (the convention of
    the ``sqlite-vec`` and ``sqlite-ulid`` packages) or the path of a loadable library;
    ``on_connect``: callbacks run with every new connection, after the extensions.
    """

    driver: Driver
    extensions: tuple[str, ...] = ()
    on_connect: tuple[OnConnect, ...] = field(default=(), compare=False)

    def check(self) -> None:
        """Raise :class:`~pytest_acodb.errors.ExtensionError` now for an extension that cannot
        be loaded (the driver cannot load extensions, a module is missing or has no ``load``, a
        library path does not exist or does not load), instead of at the first connection."""
        conn = self.connect(":memory:")
        conn.close()

    def connect(
        self,
        database: str | Path,
        *,
        uri: bool = False,
        factory: type[Any] | None = None,
        autocommit: bool = True,
    ) -> sqlite3.Connection:
        """A new connection to ``database`` (a path, ``":memory:"`` or a ``file:`` URI with
        ``uri=True``) in autocommit mode (``isolation_level=None``: the caller issues ``BEGIN``
        and ``COMMIT``; with ``autocommit=False`` the driver's default, which begins a transaction
        before a write, as SQLAlchemy expects), usable from any thread, prepared by
        :meth:`prepare`. ``factory``: a subclass of the driver's ``Connection`` to instantiate.

        Raises the driver's ``OperationalError`` when SQLite cannot open it, and
        :class:`~pytest_acodb.errors.ExtensionError` when an extension does not load.
        """
        conn: sqlite3.Connection = self.driver.module.connect(
            str(database) if isinstance(database, Path) else database,
            uri=uri,
            isolation_level=None if autocommit else "",
            check_same_thread=False,
            timeout=BUSY_TIMEOUT_S,
            factory=factory or self.driver.module.Connection,
        )
        try:
            self.prepare(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def prepare(self, conn: Any) -> None:
        """Give a new DB-API connection the kit's settings (:data:`SQLX_PRAGMAS`), load the
        extensions and run the ``on_connect`` callbacks. Raises
        :class:`~pytest_acodb.errors.ExtensionError` naming an extension that fails."""
        global _opened
        _opened += 1
        for statement in _settings(self.driver):
            conn.execute(statement)
        if self.extensions:
            self._load_extensions(conn)
        for callback in self.on_connect:
            callback(conn)

    def _load_extensions(self, conn: Any) -> None:
        if not self.driver.can_load_extensions:
            raise ExtensionError(
                self.extensions[0],
                f"the {self.driver.name} driver (SQLite {self.driver.sqlite_version}) of this "
                "Python cannot load extensions; use the sqlean driver (package sqlean-py)",
            )
        conn.enable_load_extension(True)
        try:
            for entry in self.extensions:
                _load_extension(conn, entry)
        finally:
            conn.enable_load_extension(False)

    def create_engine(self, url: str, **kwargs: Any) -> Engine:
        """A SQLAlchemy 2.x ``Engine`` on ``url`` (``sqlite+pysqlite:///...``) that opens its
        connections with this connector's driver and gives each the settings of :meth:`prepare`.
        ``kwargs`` go to :func:`sqlalchemy.create_engine` (``module`` is set here)."""
        import sqlalchemy
        from sqlalchemy import event

        engine = sqlalchemy.create_engine(url, module=self.driver.module, **kwargs)
        event.listen(engine, "connect", lambda dbapi, _record: self.prepare(dbapi))
        refusal = _REFUSALS.get(url)
        if refusal is not None:
            event.listen(engine, "handle_error", _refuse(url, refusal))
        return engine

    # -- images ----------------------------------------------------------------------------

    def image(self, conn: sqlite3.Connection) -> bytes:
        """The bytes of a database file holding the ``main`` database of ``conn`` as ``conn``
        sees it: the committed state, plus its own uncommitted writes when it is inside a
        transaction. Raises the driver's ``OperationalError`` when another connection's lock
        keeps it from reading (after ``conn``'s busy timeout)."""
        if hasattr(conn, "serialize"):
            return bytes(conn.serialize())
        return b"".join(pages(conn))

    def open_image(self, image: bytes) -> sqlite3.Connection:
        """A new connection to a private in-memory database holding a copy of ``image`` (the
        bytes of a database file); the database is freed when the connection closes."""
        if self.driver.can_serialize:
            conn = self.connect(":memory:")
            conn.deserialize(image)  # connection settings (PRAGMAs) survive it
            return conn
        return self.open_pages(split_pages(image))

    def open_pages(self, image_pages: Sequence[bytes]) -> sqlite3.Connection:
        """:meth:`open_image` of the image whose pages are ``image_pages`` (page 1 first), without
        joining them first where the driver writes pages one by one (``sqlite_dbpage``)."""
        if self.driver.can_serialize:
            return self.open_image(b"".join(image_pages))
        uri = f"file:/acodb-image-{uuid.uuid4().hex}?vfs=memdb"
        writer = self.driver.module.connect(uri, uri=True, isolation_level=None)
        try:
            write_pages(writer, image_pages, [])
            return self.connect(uri, uri=True)
        finally:
            writer.close()


@cache
def has_dbpage(driver: Driver) -> bool:
    """True when ``driver``'s SQLite has the ``sqlite_dbpage`` table (``SQLITE_ENABLE_DBPAGE_VTAB``:
    sqlean has it; Debian's system SQLite, under the standard library's ``sqlite3``, has not)."""
    probe = driver.module.connect(":memory:")
    try:
        probe.execute("SELECT 1 FROM sqlite_dbpage LIMIT 0")
    except drivers.Error:
        return False
    finally:
        probe.close()
    return True


@cache
def _settings(driver: Driver) -> tuple[str, ...]:
    """The ``PRAGMA`` statements a new connection of ``driver`` needs to hold
    :data:`SQLX_PRAGMAS`: only those whose compiled-in default differs (read once per driver), so
    a connection costs no more statements than it must."""
    probe = driver.module.connect(":memory:")
    try:
        needed = []
        for pragma, value in SQLX_PRAGMAS:
            current = probe.execute(f"PRAGMA {pragma}").fetchone()[0]
            if current != (1 if value == "ON" else 0):
                needed.append(f"PRAGMA {pragma} = {value}")
        return tuple(needed)
    finally:
        probe.close()


def _load_extension(conn: Any, entry: str) -> None:
    """Load one extension entry (module with ``load(connection)``, or library path)."""
    looks_like_path = any(sep in entry for sep in ("/", "\\")) or Path(entry).suffix in (
        ".so",
        ".dylib",
        ".dll",
    )
    if looks_like_path:
        if not Path(entry).exists():
            raise ExtensionError(entry, "no such file; give the path of a loadable library")
        try:
            conn.load_extension(str(entry))
        except drivers.Error as exc:
            raise ExtensionError(entry, f"SQLite cannot load it: {exc}") from exc
        return
    try:
        module = importlib.import_module(entry)
    except ImportError as exc:
        raise ExtensionError(
            entry,
            f"cannot import it ({exc}); install the package that provides it "
            "(e.g. pip install sqlite-vec for sqlite_vec)",
        ) from exc
    load = getattr(module, "load", None)
    if not callable(load):
        raise ExtensionError(
            entry, "the module has no load(connection) function; give a module that does"
        )
    try:
        load(conn)
    except Exception as exc:  # the extension's own loader: report it as that extension's
        raise ExtensionError(entry, f"its load() failed: {type(exc).__name__}: {exc}") from exc


_REFUSALS: dict[str, str] = {}
SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY = 5, 6, 8
"""Primary result codes (sqlite.org/rescode.html) of a lock wait and a read-only write."""


def refuse_writes(url: str, message: str) -> None:
    """Make engines that :meth:`Connector.create_engine` opens on ``url`` (a read-only URL)
    report a write, or a wait on a lock, as :class:`~pytest_acodb.errors.ReadOnlyDatabaseError` with
    ``message`` instead of SQLite's ``attempt to write a readonly database``."""
    _REFUSALS[url] = message


def _refuse(url: str, message: str) -> Callable[[Any], None]:
    def handle_error(context: Any) -> None:
        code = drivers.error_code(context.original_exception)
        if code is not None and code & 0xFF in (SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY):
            from ..errors import ReadOnlyDatabaseError

            raise ReadOnlyDatabaseError(url, message) from None

    return handle_error


# -- pages ---------------------------------------------------------------------------------


def page_size(image: bytes) -> int:
    """The page size recorded in a database image's header (bytes 16-17; 1 means 65536)."""
    size = int.from_bytes(image[16:18], "big")
    return 65536 if size == 1 else size


def split_pages(image: bytes) -> list[bytes]:
    """``image`` cut into its pages, page 1 first."""
    size = page_size(image)
    return [image[i : i + size] for i in range(0, len(image), size)]


def pages(conn: sqlite3.Connection) -> list[bytes]:
    """Every page of the ``main`` database of ``conn``, page 1 first (``sqlite_dbpage``, or
    ``serialize`` where the driver has it)."""
    if hasattr(conn, "serialize"):
        return split_pages(bytes(conn.serialize()))
    return [
        bytes(d) for (d,) in conn.execute("SELECT data FROM sqlite_dbpage('main') ORDER BY pgno")
    ]


def write_pages(
    writer: Any, image_pages: Sequence[bytes], current: Sequence[bytes] | None = None
) -> int:
    """Make the ``main`` database of ``writer`` hold exactly ``image_pages``, in one transaction
    through ``sqlite_dbpage``: only pages that differ from ``current`` (the database's pages now,
    read when ``None``) are written, and pages past the end are cut off. Returns the number of
    pages written. Other connections see the new content from their next transaction; the
    schema cookie is the image's, so their prepared statements stay valid when it is unchanged.
    ``writer`` must be used for nothing else afterwards (its own cache is stale)."""
    if current is None:
        current = [
            bytes(d) for (d,) in writer.execute("SELECT data FROM sqlite_dbpage ORDER BY pgno")
        ]
    if not current and image_pages:
        writer.execute(f"PRAGMA page_size = {len(image_pages[0])}")
    written = 0
    writer.execute("BEGIN IMMEDIATE")
    try:
        for number, page in enumerate(image_pages, 1):
            if number > len(current) or current[number - 1] != page:
                writer.execute(
                    "INSERT INTO sqlite_dbpage(pgno, data) VALUES (?, ?)", (number, page)
                )
                written += 1
        if len(current) > len(image_pages):
            writer.execute(
                "INSERT INTO sqlite_dbpage(pgno, data) VALUES (?, NULL)", (len(image_pages) + 1,)
            )
        writer.execute("COMMIT")
    except BaseException:
        writer.execute("ROLLBACK")
        raise
    return written


# -- defaults and compatible helpers --------------------------------------------------------


@cache
def default_connector() -> Connector:
    """The connector for code that names none: the default driver, no extensions."""
    return Connector(drivers.load())


def connect(
    database: str | Path, *, uri: bool = False, factory: type[Any] | None = None
) -> sqlite3.Connection:
    """:meth:`Connector.connect` of :func:`default_connector`."""
    return default_connector().connect(database, uri=uri, factory=factory)


def enable_foreign_keys(engine: Engine, connector: Connector | None = None) -> Engine:
    """Give every DB-API connection a SQLAlchemy ``engine`` makes the kit's settings (foreign
    keys on, and the rest of :data:`SQLX_PRAGMAS`, extensions, callbacks of ``connector``).

    Returns the same engine. Use it on engines the code under test builds itself; the engine's
    driver must be the connector's (SQLite's in-memory databases are not shared between two
    SQLite libraries).
    """
    from sqlalchemy import event

    chosen = connector or default_connector()
    event.listen(engine, "connect", lambda dbapi, _record: chosen.prepare(dbapi))
    return engine


def create_engine(url: str, connector: Connector | None = None, **kwargs: Any) -> Engine:
    """A SQLAlchemy 2.x ``Engine`` on ``url`` with the kit's driver and connection settings
    (:meth:`Connector.create_engine`), made with ``hide_parameters=True`` unless ``kwargs`` say
    otherwise, so a failing statement's error shows its SQL but never the values bound to it
    (secret configurations). ``kwargs`` go to :func:`sqlalchemy.create_engine`."""
    kwargs.setdefault("hide_parameters", True)
    return (connector or default_connector()).create_engine(url, **kwargs)


@dataclass
class Database:
    """One test's database.

    ``url``: a SQLAlchemy URL string any engine in this process can open (its scheme names the
    kit's driver, :func:`scheme`); ``sqlite_uri``: the
    same target for the driver's ``connect(..., uri=True)``; ``path``: the file for the file
    backend (``None`` in memory); ``keeper``: the connection that keeps an in-memory database
    alive until :meth:`close`; ``engine``: the session-wide ``Engine`` serving it (``None`` when
    the caller must make one); ``isolation``: ``"clone"`` or ``"rollback"``; ``connector``: how
    its connections are opened.
    """

    url: str
    sqlite_uri: str
    path: Path | None = None
    keeper: sqlite3.Connection | None = field(default=None, repr=False)
    engine: Engine | None = field(default=None, repr=False)
    isolation: str = "clone"
    connector: Connector = field(default_factory=default_connector, repr=False)
    extras: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    """Objects made for this database once and reused by every test (the async engine)."""

    def connect(self) -> sqlite3.Connection:
        """A new connection to this database (see :meth:`Connector.connect`).

        With isolation ``rollback`` it sees only what is committed in the shared database,
        never the test's open transaction.
        """
        return self.connector.connect(self.sqlite_uri, uri=True)

    def close(self) -> None:
        """Release the database; an in-memory one is freed once every connection is closed."""
        if self.keeper is not None:
            self.keeper.close()
            self.keeper = None


def memory_database(name: str | None = None, connector: Connector | None = None) -> Database:
    """An empty shared in-memory database named ``name`` (random when ``None``)."""
    chosen = connector or default_connector()
    name = name or f"acodb-{uuid.uuid4().hex}"
    sqlite_uri = f"file:/{name}?vfs=memdb"
    keeper = chosen.connect(sqlite_uri, uri=True)
    url = f"{scheme(chosen)}:///{sqlite_uri}&uri=true"
    return Database(url, sqlite_uri, None, keeper, connector=chosen)


def file_database(path: Path, connector: Connector | None = None) -> Database:
    """The database file at ``path`` (created on first connection when missing)."""
    path = Path(path)
    chosen = connector or default_connector()
    return Database(
        f"{scheme(chosen)}:///{path}", f"{path.as_uri()}?mode=rwc", path, connector=chosen
    )


def scheme(connector: Connector) -> str:
    """The SQLAlchemy URL scheme that opens ``connector``'s SQLite library: ``sqlite+sqlean``
    for the sqlean driver (:mod:`pytest_acodb.db.dialect`), ``sqlite+pysqlite`` for the
    standard library's. A URL the kit hands out uses it, so any engine made on it, the kit's
    or a plain ``sqlalchemy.create_engine``, shares in-memory databases and file locks with the
    kit's connections."""
    from .dialect import SCHEMES

    return SCHEMES[connector.driver.name]
