"""Walking one database through its migrations step by step, for tests of data migrations.

A :class:`Stepper` holds a connection to a database, knows the directory's migrations, and moves
the database up or down one migration (or to a version) with the real engine, so a test can write
rows at version N, migrate, and assert on what the migration did to them, as
django-test-migrations does for Django.
"""

from __future__ import annotations

import sqlite3

from ..errors import AcodbError
from .migrator import Migrator
from .source import Migration, MigrationSource


class Stepper:
    """Moves the database behind ``conn`` through the migrations of ``source``.

    ``conn`` must be a ``sqlite3`` connection in autocommit mode (``isolation_level=None``), as
    :func:`pytest_acodb.database.connect` opens them; ``url``, if given, is a SQLAlchemy URL of
    the same database for engines. Every step runs exactly as sqlx runs it.
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
        return self.migrator.pending(self.conn)

    def _check(self, target: int) -> None:
        if target != 0 and self.source.get(target) is None:
            known = ", ".join(str(m.version) for m in self.source)
            raise AcodbError(f"version {target} is not one of the migrations ({known})")

    def up(self, to: int | None = None) -> list[Migration]:
        """Apply the next migration, or every pending one up to ``to`` (inclusive).

        Returns the migrations applied. Raises ``MigrateError`` (the database is left as it was
        before the failing migration) or :class:`AcodbError` for an unknown version or when
        nothing is pending.
        """
        if to is None:
            pending = self.pending
            if not pending:
                raise AcodbError("every migration is applied already; nothing to migrate up")
            to = pending[0].version
        self._check(to)
        return self.migrator.run(self.conn, to)

    def down(self, to: int | None = None) -> list[Migration]:
        """Revert the newest applied migration, or every one above ``to`` (``0``: all).

        Returns the migrations reverted, newest first. Raises ``MigrateError`` when a down
        script fails, :class:`AcodbError` for an unknown version or a migration with no down
        script in the way.
        """
        if to is not None:
            self._check(to)
        if self.version is None:
            raise AcodbError("no migration is applied; nothing to migrate down")
        return self.migrator.undo(self.conn, to)

    def to(self, version: int) -> list[Migration]:
        """Migrate up or down so that ``version`` is the newest applied one (``0``: none)."""
        current = self.version or 0
        if version >= current:
            return self.up(version) if version > current else []
        return self.down(version)
