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
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

from ..errors import AcodbError
from .connect import Connector, default_connector

if TYPE_CHECKING:
    from filelock import BaseFileLock

FORMS = (
    "sqlite:FILE, sqlite://RELATIVE/FILE, sqlite:///ABSOLUTE/FILE or sqlite::memory:, "
    "optionally followed by ?mode=ro|rw|rwc|memory"
)
"""The URL forms accepted, for error messages and help texts."""

MODES = ("ro", "rw", "rwc", "memory")
_BOOLS = {"true": "1", "1": "1", "false": "0", "0": "0"}
LOCK_SUFFIX = ".acodb-migrate.lock"
"""Suffix of the lock file next to a database that serialises ``acodb migrate run/revert``."""


class SqliteUrlError(AcodbError):
    """A database URL that sqlx would not accept, or whose database cannot be opened.

    Attributes: ``url`` (the URL as given).
    """

    def __init__(self, url: str, problem: str) -> None:
        super().__init__(f"database URL {url!r}: {problem}; use {FORMS}")
        self.url = url


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
    def creates(self) -> bool:
        """True when connecting creates a missing file (``mode=rwc``)."""
        return self.mode == "rwc"

    def exists(self) -> bool:
        """True for an in-memory database or an existing SQLite database file (an empty file
        counts: SQLite makes it a database on first write). Uses sqlalchemy-utils'
        ``database_exists``, which reads the file's ``SQLite format 3`` header."""
        if self.path is None:
            return True
        from sqlalchemy_utils import database_exists

        empty = self.path.is_file() and self.path.stat().st_size == 0  # "exists" to SQLite only
        return empty or bool(database_exists(f"sqlite:///{self.path}"))

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
        return chosen.connect(self.uri(read_only=read_only), uri=True)

    def check_openable(self, *, read_only: bool = False) -> None:
        """Raise :class:`SqliteUrlError` when :meth:`connect` would fail for want of a file: the
        path is missing (and the URL does not say ``mode=rwc``, or ``read_only``) or is not a
        regular file. Checks nothing for an in-memory target."""
        if self.path is None:
            return
        if self.path.exists() and not self.path.is_file():
            raise SqliteUrlError(self.url, f"{self.path} is not a database file")
        if self.path.is_file() and not self.exists():
            raise SqliteUrlError(
                self.url,
                f"{self.path} is not a SQLite database (no "
                "'SQLite format 3' header); check the path",
            )
        if not self.path.exists() and (read_only or not self.creates):
            raise SqliteUrlError(
                self.url,
                f"the database file {self.path} does not exist (sqlx does not create it either); "
                "create it first, or add ?mode=rwc to the URL to create it"
                + (" (a --dry-run never creates it)" if read_only and self.creates else ""),
            )

    def lock(self, timeout: float = 120.0) -> BaseFileLock:
        """An inter-process lock on ``<database>.acodb-migrate.lock``, held while migrating.

        Use as a context manager; waits up to ``timeout`` seconds, then raises
        ``filelock.Timeout``. Raises :class:`SqliteUrlError` for an in-memory target.
        """
        from filelock import FileLock

        if self.path is None:
            raise SqliteUrlError(self.url, "an in-memory database cannot be locked")
        return FileLock(str(self.path) + LOCK_SUFFIX, timeout=timeout)

    def backup(self, conn: sqlite3.Connection) -> Path:
        """Write a consistent copy of the database next to it with ``VACUUM INTO``.

        The copy is ``<database>.<UTC YYYYmmddTHHMMSSZ>.bak`` (``-1``, ``-2``... appended when
        that name is taken); ``conn`` must be a connection to this target with no open
        transaction. Returns the copy's path. Raises :class:`SqliteUrlError` for an in-memory
        target and the driver's ``Error`` when SQLite cannot write the copy.
        """
        if self.path is None:
            raise SqliteUrlError(self.url, "an in-memory database has no file to back up")
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        target = self.path.with_name(f"{self.path.name}.{stamp}.bak")
        n = 0
        while target.exists():
            n += 1
            target = self.path.with_name(f"{self.path.name}.{stamp}-{n}.bak")
        conn.execute("VACUUM INTO ?", (str(target),))
        return target


def parse_sqlite_url(url: str, *, cwd: Path | None = None) -> SqliteTarget:
    """Parse a sqlx SQLite URL (see the module docstring for the forms) into a target.

    A relative file is resolved against ``cwd`` (default: the current directory). Raises
    :class:`SqliteUrlError` naming the URL and the accepted forms for anything sqlx rejects: a
    scheme other than ``sqlite:``, an empty database part, an unknown query parameter or value.
    """
    if not url.startswith("sqlite:"):
        raise SqliteUrlError(url, "not a SQLite URL (pytest-acodb only drives SQLite)")
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
        raise SqliteUrlError(url, "no database file named")
    path = Path(database)
    if not path.is_absolute():
        path = (cwd or Path.cwd()) / path
    return SqliteTarget(url, path.absolute(), mode, params)


def _parse_query(url: str, query: str) -> tuple[str, dict[str, str]]:
    mode = "rw"
    params: dict[str, str] = {}
    for pair in filter(None, query.split("&")):
        key, _, value = pair.partition("=")
        key, value = unquote(key), unquote(value)
        if key == "mode":
            if value not in MODES:
                raise SqliteUrlError(url, f"unknown value {value!r} for `mode`")
            mode = value
        elif key == "cache":
            if value not in ("private", "shared"):
                raise SqliteUrlError(url, f"unknown value {value!r} for `cache`")
            params[key] = value
        elif key == "immutable":
            if value not in _BOOLS:
                raise SqliteUrlError(url, f"unknown value {value!r} for `immutable`")
            params[key] = _BOOLS[value]
        elif key == "vfs":
            params[key] = value
        else:
            raise SqliteUrlError(url, f"unknown query parameter `{key}`")
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

    ``environ`` defaults to ``os.environ``. Raises :class:`AcodbError` when none is set.
    """
    if explicit:
        return explicit
    env = os.environ if environ is None else environ
    if env.get("DATABASE_URL"):
        return env["DATABASE_URL"]
    path = find_dotenv(cwd) if dotenv else None
    if path is not None:
        from dotenv import dotenv_values

        value = dotenv_values(path).get("DATABASE_URL")
        if value:
            return value
    raise AcodbError(
        "`--database-url` or `DATABASE_URL` must be set (in the environment or a .env file), "
        f"e.g. DATABASE_URL=sqlite:orchestrator.db; accepted forms: {FORMS}"
    )
