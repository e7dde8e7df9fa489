"""sqlx's SQLite database URLs: parsing them, and opening, locking and backing up their target.

The forms are sqlx-sqlite's (``sqlx-sqlite/src/options/parse.rs``): the prefix ``sqlite://`` and
then ``sqlite:`` is stripped, the rest split on the first ``?``; the database part is
percent-decoded; ``:memory:`` means an in-memory database. So ``sqlite:orchestrator.db`` and
``sqlite://orchestrator.db`` are the relative file ``orchestrator.db`` (relative to the current
directory), ``sqlite:///var/lib/x.db`` and ``sqlite:/var/lib/x.db`` the absolute ``/var/lib/x.db``,
``sqlite::memory:`` an in-memory database. Query parameters: ``mode=ro|rw|rwc|memory`` (default
``rw``), ``cache=private|shared``, ``immutable=true|false|1|0``, ``vfs=NAME``; any other key or
value is an error, as in sqlx.

As in sqlx, a missing database file is an error unless the URL says ``mode=rwc`` (sqlx's
``create_if_missing``); ``sqlx migrate run`` does not create it either.

The migration lock lives with the engine (:mod:`pytest_acodb.migrate.runlock`), which takes it on
the file a connection really opened; this module opens, checks and backs up the target.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote

from ..errors import (
    BackupError,
    DatabaseError,
    DatabaseMissingError,
    NoDatabaseUrlError,
    NotADatabaseError,
    SqliteUrlError,
)
from . import driver as drivers
from .connect import Connector, default_connector

FORMS = (
    "sqlite:FILE, sqlite://RELATIVE/FILE, sqlite:///ABSOLUTE/FILE or sqlite::memory:, "
    "optionally followed by ?mode=ro|rw|rwc|memory"
)
"""The URL forms accepted, for error messages and help texts."""

MODES = ("ro", "rw", "rwc", "memory")
_BOOLS = {"true": "1", "1": "1", "false": "0", "0": "0"}
SQLITE_HEADER = b"SQLite format 3\x00"
"""The first 16 bytes of every SQLite database file."""
SQLITE_MAX_PATHNAME = 512
"""The longest path, in bytes, SQLite's unix VFS opens (``MAX_PATHNAME`` in ``os_unix.c``)."""

__all__ = [
    "FORMS",
    "MODES",
    "SQLITE_HEADER",
    "SQLITE_MAX_PATHNAME",
    "SqliteTarget",
    "SqliteUrlError",
    "database_url",
    "find_dotenv",
    "is_database_file",
    "parse_sqlite_url",
    "unopenable",
]


@dataclass(frozen=True)
class SqliteTarget:
    """The database a sqlx SQLite URL names.

    ``url``: the URL as given; ``path``: the database file, absolute (``None`` in memory);
    ``mode``: ``"ro"``, ``"rw"`` (default), ``"rwc"`` (create when missing) or ``"memory"``;
    ``params``: the other SQLite URI parameters (``cache``, ``immutable``, ``vfs``).
    """

    url: str
    path: Path | None
    mode: str = "rw"
    params: dict[str, str] = field(default_factory=dict)

    @property
    def memory(self) -> bool:
        """True for an in-memory database (nothing survives the process)."""
        return self.path is None

    @property
    def missing(self) -> bool:
        """True when the target is a file that does not exist (or cannot even be looked up)."""
        if self.path is None:
            return False
        try:
            self.path.stat()
        except OSError:
            return True
        return False

    @property
    def creates(self) -> bool:
        """True when connecting creates a missing file (``mode=rwc``)."""
        return self.mode == "rwc"

    def exists(self) -> bool:
        """True for an in-memory database or an existing SQLite database file: a regular file
        that is empty (SQLite makes it a database on first write) or starts with SQLite's
        ``SQLite format 3`` header. Never blocks: anything but a regular file is not one."""
        if self.path is None:
            return True
        return is_database_file(self.path)

    def uri(self, *, read_only: bool = False) -> str:
        """The ``file:`` URI for ``sqlite3.connect(..., uri=True)``; ``mode=ro`` if ``read_only``.

        Raises :class:`SqliteUrlError` for an in-memory target (use :meth:`connect`).
        """
        if self.path is None:
            raise SqliteUrlError(self.url, "an in-memory database has no file URI")
        params = dict(self.params, mode="ro" if read_only else self.mode)
        query = "&".join(f"{k}={quote(v, safe='')}" for k, v in sorted(params.items()))
        return f"{self.path.as_uri()}?{query}"

    def connect(
        self, *, read_only: bool = False, connector: Connector | None = None
    ) -> sqlite3.Connection:
        """A connection made by ``connector`` (default: :func:`~pytest_acodb.db.connect.
        default_connector`; autocommit, the kit's connection settings).

        ``read_only`` opens the file with ``mode=ro``: nothing, not even the migrations table, can
        be written, so the file stays byte-identical. An in-memory target gives a new, empty
        private database. Raises :class:`SqliteUrlError` when the file does not exist and the
        URL does not say ``mode=rwc`` (or ``read_only`` is set), and the driver's ``Error``
        when SQLite cannot open it.
        """
        chosen = connector or default_connector()
        if self.path is None:
            return chosen.connect(":memory:")
        self.check_openable(read_only=read_only)
        try:
            return chosen.connect(self.uri(read_only=read_only), uri=True)
        except drivers.Error as exc:
            raise DatabaseError.from_driver(exc, self.path, unopenable(self.path)) from exc

    def check_openable(self, *, read_only: bool = False) -> None:
        """Raise when :meth:`connect` would fail for want of a file:
        :class:`~pytest_acodb.errors.NotADatabaseError` when the path is not a regular file or
        lacks SQLite's header, :class:`~pytest_acodb.errors.DatabaseMissingError` when it is
        missing and the URL does not say ``mode=rwc`` (or ``read_only``). Checks nothing for an
        in-memory target."""
        if self.path is None:
            return
        try:
            mode: int | None = self.path.stat().st_mode
        except (FileNotFoundError, NotADirectoryError):
            mode = None
        except OSError as exc:  # a name too long, a loop of symlinks...
            why = unopenable(self.path) or "check the path"
            raise SqliteUrlError(
                self.url, f"cannot use {self.path} ({exc.strerror or exc}); {why}"
            ) from exc
        if mode is not None and not stat.S_ISREG(mode):
            raise NotADatabaseError(self.url, self.path, _kind(mode))
        if mode is not None and not self.exists():
            raise NotADatabaseError(self.url, self.path, "no header")
        if mode is None and (read_only or not self.creates):
            raise DatabaseMissingError(
                self.url, self.path, read_only=read_only, creates=self.creates
            )

    def backup(self, conn: sqlite3.Connection) -> Path:
        """Write a consistent copy of the database next to it with ``VACUUM INTO``.

        The copy is ``<database>.<UTC YYYYmmddTHHMMSSZ>.bak`` (``-1``, ``-2``... appended when
        that name is taken), created with the database file's permission bits (a ``0600``
        database gets a ``0600`` copy); ``conn`` must be a connection to this target with no
        open transaction. Returns the copy's path. Raises :class:`SqliteUrlError` for an
        in-memory target and :class:`~pytest_acodb.errors.BackupError` naming the copy when it
        cannot be written (a full disk, a read-only directory); no partial copy is left.
        """
        if self.path is None:
            raise SqliteUrlError(self.url, "an in-memory database has no file to back up")
        mode = stat.S_IMODE(self.path.stat().st_mode)
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        target, n = self.path.with_name(f"{self.path.name}.{stamp}.bak"), 0
        while True:
            try:  # created here, exclusively, so that no other file is overwritten
                os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode))
                break
            except FileExistsError:
                n += 1
                target = self.path.with_name(f"{self.path.name}.{stamp}-{n}.bak")
            except OSError as exc:
                raise BackupError(self.path, target, exc.strerror or str(exc), None) from exc
        try:
            os.chmod(target, mode)  # the umask may have taken bits away; keep exactly the mode
            conn.execute("VACUUM INTO ?", (str(target),))
        except BaseException as exc:
            target.unlink(missing_ok=True)
            if isinstance(exc, drivers.Error):
                raise BackupError(self.path, target, str(exc), drivers.error_code(exc)) from exc
            if isinstance(exc, OSError):
                raise BackupError(self.path, target, exc.strerror or str(exc), None) from exc
            raise
        return target


def is_database_file(path: Path) -> bool:
    """True when ``path`` is a regular file that is empty or starts with SQLite's header.
    Never blocks (a FIFO is not a regular file) and reads at most 16 bytes."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError:
        return False
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return False
        return info.st_size == 0 or os.read(fd, len(SQLITE_HEADER)) == SQLITE_HEADER
    finally:
        os.close(fd)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "directory"
    if stat.S_ISFIFO(mode):
        return "FIFO (named pipe)"
    return "special file"


def _is_dir(path: Path) -> bool:
    try:
        return stat.S_ISDIR(path.stat().st_mode)
    except OSError:  # missing, or a name too long to look up
        return False


def unopenable(path: Path) -> str | None:
    """Why SQLite cannot open (or create) the database file ``path``, when the file system
    says so: a file name or path too long (counting SQLite's ``-journal`` suffix), a directory
    that does not exist or cannot be written; ``None`` when nothing such is found."""
    parent = path.parent
    existing = next((p for p in (parent, *parent.parents) if _is_dir(p)), Path("/"))
    try:
        name_max = os.pathconf(existing, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        name_max = 255
    name = len(os.fsencode(path.name)) + len("-journal")
    if name > name_max:
        return (
            f"the file name with SQLite's -journal suffix is {name} bytes, more than the "
            f"{name_max} the file system allows: use a shorter name"
        )
    length = len(os.fsencode(str(path)))
    if length >= SQLITE_MAX_PATHNAME:
        return (
            f"the path is {length} bytes, more than the {SQLITE_MAX_PATHNAME - 1} SQLite opens: "
            "use a shorter path"
        )
    if not _is_dir(parent):
        return f"its directory {parent} does not exist: create it first"
    if not os.access(parent, os.W_OK):
        return (
            f"its directory {parent} is not writable, and SQLite writes its journal beside "
            "the database: make the directory writable"
        )
    return None


def parse_sqlite_url(url: str, *, cwd: Path | None = None) -> SqliteTarget:
    """Parse a sqlx SQLite URL (see the module docstring for the forms) into a target.

    A relative file is resolved against ``cwd`` (default: the current directory). Raises
    :class:`SqliteUrlError` naming the URL and the accepted forms for anything sqlx rejects: a
    scheme other than ``sqlite:``, an empty database part, an unknown query parameter or value.
    """
    if not url.startswith("sqlite:"):
        raise SqliteUrlError(
            url, f"not a SQLite URL (pytest-acodb only drives SQLite); use {FORMS}"
        )
    rest = url
    while rest.startswith("sqlite://"):
        rest = rest[len("sqlite://") :]
    while rest.startswith("sqlite:"):
        rest = rest[len("sqlite:") :]
    database, _, query = rest.partition("?")
    mode, params = _parse_query(url, query)
    database = unquote(database)
    if database == ":memory:" or mode == "memory":
        return SqliteTarget(url, None, "memory", params)
    if not database:
        raise SqliteUrlError(url, f"no database file named; use {FORMS}")
    if "\x00" in database:
        raise SqliteUrlError(
            url, "the database path holds a NUL character (%00), which no file name can"
        )
    path = Path(database)
    if not path.is_absolute():
        path = (cwd or Path.cwd()) / path
    return SqliteTarget(url, path.absolute(), mode, params)


def _parse_query(url: str, query: str) -> tuple[str, dict[str, str]]:
    mode = "rw"
    params: dict[str, str] = {}
    allowed = {"mode": MODES, "cache": ("private", "shared"), "immutable": tuple(_BOOLS)}
    for pair in filter(None, query.split("&")):
        key, _, value = pair.partition("=")
        key, value = unquote(key), unquote(value)
        if key not in (*allowed, "vfs"):
            raise SqliteUrlError(url, f"unknown query parameter `{key}`; use {FORMS}")
        if key in allowed and value not in allowed[key]:
            raise SqliteUrlError(url, f"unknown value {value!r} for `{key}`; use {FORMS}")
        if "\x00" in value:
            raise SqliteUrlError(url, f"the value of `{key}` holds a NUL character (%00)")
        if key == "mode":
            mode = value
        else:
            params[key] = _BOOLS[value] if key == "immutable" else value
    return mode, params


def find_dotenv(cwd: Path | None = None) -> Path | None:
    """The ``.env`` file dotenvy (and so sqlx-cli) would load: in ``cwd`` or its nearest parent."""
    start = (cwd or Path.cwd()).absolute()
    for directory in (start, *start.parents):
        candidate = directory / ".env"
        if candidate.is_file():
            return candidate
    return None


def database_url(
    explicit: str | None = None,
    *,
    dotenv: bool = True,
    cwd: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> str:
    """The database URL as sqlx-cli picks it: ``explicit`` (``--database-url``), else the
    ``DATABASE_URL`` environment variable, else ``DATABASE_URL`` from the ``.env`` file found by
    :func:`find_dotenv` (unless ``dotenv`` is false). A ``.env`` never overrides a real variable.

    ``environ`` defaults to ``os.environ``. Raises :class:`~pytest_acodb.errors.
    NoDatabaseUrlError` when none is set, and a ``SourceError`` naming a ``.env`` file that
    cannot be read or is not UTF-8.
    """
    if explicit:
        return explicit
    env = os.environ if environ is None else environ
    if env.get("DATABASE_URL"):
        return env["DATABASE_URL"]
    path = find_dotenv(cwd) if dotenv else None
    if path is not None:
        value = _dotenv_value(path, "DATABASE_URL")
        if value:
            return value
    raise NoDatabaseUrlError(path, FORMS)


def _dotenv_value(path: Path, key: str) -> str | None:
    """``key`` from the ``.env`` file ``path``; raises what
    :func:`~pytest_acodb.migrate.source.read_text` raises for a file that is not a regular UTF-8
    file or cannot be read."""
    from io import StringIO

    from dotenv import dotenv_values

    from ..migrate.source import read_text

    _, text = read_text(path, what="a .env file is read")
    return dotenv_values(stream=StringIO(text)).get(key)
