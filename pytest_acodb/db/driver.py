"""Which SQLite the kit runs on: the DB-API driver, its SQLite library, and what that library can do.

The orchestrator runs sqlx, whose SQLite is the one ``libsqlite3-sys`` bundles (SQLite 3.46.0 in
``libsqlite3-sys`` 0.30, the oldest release sqlx 0.8 accepts; :data:`SQLX_SQLITE`). Python's own
``sqlite3`` module is linked against whatever SQLite the interpreter was built with (3.40.1 on
Debian 12) and often cannot load extensions. So the kit prefers ``sqlean`` (the ``sqlean-py``
package: a drop-in DB-API 2.0 ``sqlite3`` with a recent SQLite and extension loading, wheels for
Linux x86-64/arm64, macOS and Windows) and falls back to the standard library, saying so, where
``sqlean-py`` is not installed. Both are plain DB-API modules, so SQLAlchemy's ``pysqlite``
dialect takes either (``create_engine(url, module=...)``).

Errors: the exception classes of each driver are distinct, so code that catches SQLite errors
from whichever driver is in use catches the tuples :data:`Error`, :data:`IntegrityError`,
:data:`OperationalError` of this module.
"""

from __future__ import annotations

import contextlib
import importlib
import sqlite3
from dataclasses import dataclass
from functools import cache
from types import ModuleType

from ..errors import DriverError

SQLX_SQLITE = (3, 46, 0)
"""The oldest SQLite sqlx 0.8 bundles (``libsqlite3-sys`` 0.30's ``bundled`` feature)."""

DRIVERS: dict[str, str] = {"sqlean": "sqlean.dbapi2", "sqlite3": "sqlite3"}
"""Driver names (the values of the ``sqlite driver`` setting) and the DB-API module of each."""

DEFAULT_DRIVER = "sqlean"
"""The driver the kit prefers; :func:`load` falls back to ``sqlite3`` when it is missing."""

PACKAGES: dict[str, str] = {"sqlean": "sqlean-py", "sqlite3": "(the standard library)"}
"""The package that provides each driver, for messages that say what to install."""


def _modules() -> list[ModuleType]:
    found = [sqlite3]
    with contextlib.suppress(ImportError):
        found.append(importlib.import_module(DRIVERS["sqlean"]))
    return found


def _errors(name: str) -> tuple[type[Exception], ...]:
    return tuple(getattr(m, name) for m in _modules())


Error: tuple[type[Exception], ...] = _errors("Error")
"""``sqlite3.Error`` of every driver that is installed (catch this tuple, not one class)."""
DatabaseError: tuple[type[Exception], ...] = _errors("DatabaseError")
"""``DatabaseError`` of every installed driver."""
IntegrityError: tuple[type[Exception], ...] = _errors("IntegrityError")
"""``IntegrityError`` (a constraint failed) of every installed driver."""
OperationalError: tuple[type[Exception], ...] = _errors("OperationalError")
"""``OperationalError`` of every installed driver."""
ProgrammingError: tuple[type[Exception], ...] = _errors("ProgrammingError")
"""``ProgrammingError`` (e.g. a closed connection) of every installed driver."""


def error_code(error: BaseException) -> int | None:
    """The SQLite extended result code of a driver error (e.g. 787 for
    ``SQLITE_CONSTRAINT_FOREIGNKEY``), or ``None`` when the driver does not say."""
    code = getattr(error, "sqlite_errorcode", None)
    return code if isinstance(code, int) else None


SQLITE_CONSTRAINT_FOREIGNKEY = 787
"""Extended result code of ``FOREIGN KEY constraint failed`` (sqlite.org/rescode.html)."""


@dataclass(frozen=True)
class Driver:
    """One DB-API driver and the SQLite library it is linked against.

    ``name``: a key of :data:`DRIVERS`; ``module``: the DB-API 2.0 module; ``fallback``: the
    reason when this driver stands in for the one asked for (``None`` otherwise).
    """

    name: str
    module: ModuleType
    fallback: str | None = None

    @property
    def sqlite_version(self) -> str:
        """The SQLite library version, e.g. ``"3.50.4"``."""
        return str(self.module.sqlite_version)

    @property
    def sqlite_version_info(self) -> tuple[int, int, int]:
        """The SQLite library version as three integers."""
        major, minor, patch = (int(p) for p in self.sqlite_version.split(".")[:3])
        return major, minor, patch

    @property
    def older_than_sqlx(self) -> bool:
        """True when this SQLite is older than the oldest one sqlx bundles (:data:`SQLX_SQLITE`)."""
        return self.sqlite_version_info < SQLX_SQLITE

    @property
    def can_load_extensions(self) -> bool:
        """True when connections of this driver can load extensions (``enable_load_extension``:
        CPython builds without ``--enable-loadable-sqlite-extensions`` lack it)."""
        return hasattr(self.module.Connection, "enable_load_extension")

    @property
    def can_serialize(self) -> bool:
        """True when connections have ``serialize``/``deserialize`` (CPython 3.11+'s
        ``sqlite3``; ``sqlean`` copies pages through ``sqlite_dbpage`` instead)."""
        return hasattr(self.module.Connection, "deserialize")

    def describe(self) -> str:
        """One phrase for headers and ``--version``: ``sqlean 3.50.4``, and for an old SQLite
        ``sqlite3 3.40.1 (older than the SQLite 3.46.0 sqlx bundles)``."""
        text = f"{self.name} {self.sqlite_version}"
        if self.older_than_sqlx:
            text += f" (older than the SQLite {sqlx_version()} sqlx bundles)"
        if self.fallback:
            text += f" ({self.fallback})"
        return text


def sqlx_version() -> str:
    """:data:`SQLX_SQLITE` as text, ``3.46.0``."""
    return ".".join(map(str, SQLX_SQLITE))


@cache
def load(name: str | None = None) -> Driver:
    """The driver called ``name`` (a key of :data:`DRIVERS`), or with ``None`` the default one,
    falling back to the standard library's ``sqlite3`` when ``sqlean-py`` is not installed.

    Raises :class:`~pytest_acodb.errors.DriverError` for an unknown name, or when the driver
    asked for by name cannot be imported (naming the package to install).
    """
    if name is not None and name not in DRIVERS:
        raise DriverError(name, f"unknown SQLite driver; choose one of {', '.join(DRIVERS)}")
    wanted = name or DEFAULT_DRIVER
    try:
        module = importlib.import_module(DRIVERS[wanted])
    except ImportError as exc:
        if name is not None:
            raise DriverError(
                wanted, f"cannot import {DRIVERS[wanted]} ({exc}); install {PACKAGES[wanted]}"
            ) from exc
        return Driver(
            "sqlite3", sqlite3, f"fallback: {PACKAGES[wanted]} is not installed for this platform"
        )
    return Driver(wanted, module)
