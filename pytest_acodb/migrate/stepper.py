"""Walking one database through its migrations step by step, for tests of data migrations.

A :class:`Stepper` holds a connection to a database, knows the directory's migrations, and moves
the database up or down one migration (or to a version) with the real engine, so a test can write
rows at version N, migrate, and assert on what the migration did to them, as
django-test-migrations does for Django.
"""

from __future__ import annotations

import sqlite3

from ..errors import NothingToMigrateError
from .migrator import Migrator
from .source import Migration, MigrationSource
from .status import State


class Stepper:
    """Moves the database behind ``conn`` through the migrations of ``source``.

    ``conn`` must be a DB-API SQLite connection in autocommit mode (``isolation_level=None``),
    as :func:`pytest_acodb.db.connect.connect` opens them; ``url``, if given, is a SQLAlchemy URL
    of the same database for engines. Every step is planned and run by the
    :class:`~pytest_acodb.migrate.Migrator` exactly as a run or revert of the command line is.
    """

    def __init__(
        self, source: MigrationSource, conn: sqlite3.Connection, url: str | None = None
    ) -> None:
        self.source = source
        self.conn = conn
        self.url = url
        self.migrator = Migrator(source)

    @property
    def version(self) -> int | None:
        """The newest applied version, or ``None`` when nothing is applied."""
        applied = self.migrator.applied(self.conn)
        return max(applied) if applied else None

    @property
    def applied(self) -> list[int]:
        """Applied versions, oldest first."""
        return sorted(self.migrator.applied(self.conn))

    @property
    def pending(self) -> list[Migration]:
        """Migrations not applied yet, oldest first."""
        statuses = self.migrator.status(self.conn)
        return [s.migration for s in statuses if s.state is State.PENDING and s.migration]

    def up(self, to: int | None = None) -> list[Migration]:
        """Apply the next migration, or every pending one up to ``to`` (inclusive).

        Returns the migrations applied. Raises ``MigrateError`` (the database is left as it was
        before the failing migration), :class:`~pytest_acodb.errors.NothingToMigrateError` when
        nothing is pending, and what :meth:`Migrator.plan_run` raises (an unknown version, a
        version below the newest applied one).
        """
        if to is None:
            pending = self.pending
            if not pending:
                raise NothingToMigrateError("up")
            to = pending[0].version
        return list(self.migrator.run(self.conn, to).apply)

    def down(self, to: int | None = None) -> list[Migration]:
        """Revert the newest applied migration, or every one above ``to`` (``0``: all).

        Returns the migrations reverted, newest first. Raises ``MigrateError`` when a down
        script fails, :class:`~pytest_acodb.errors.NothingToMigrateError` when nothing is
        applied, and what :meth:`Migrator.plan_revert` raises (an unknown version, a simple
        migration with no down script in the way).
        """
        if to is None and self.version is None:
            raise NothingToMigrateError("down")
        return list(self.migrator.undo(self.conn, to).revert)

    def to(self, version: int) -> list[Migration]:
        """Migrate up or down so that ``version`` is the newest applied one (``0``: none)."""
        current = self.version or 0
        if version >= current:
            return self.up(version) if version > current else []
        return self.down(version)
