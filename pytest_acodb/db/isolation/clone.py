"""Isolation ``clone``: one database per session, refilled from the template before every test."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .. import driver as drivers
from ..connect import Database, file_database, memory_database
from ..template import Template


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
            database = memory_database(connector=self.template.connector)
        else:
            path = self.directory / f"clone-{self._generation}.db"
            database = file_database(path, self.template.connector)
            database.keeper = database.connect()
            # The keeper only copies pages in; durability of a throw-away file is not needed.
            database.keeper.execute("PRAGMA synchronous = OFF")
        database.engine = self.template.connector.create_engine(
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
        except drivers.OperationalError:
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
