"""One pass over a migrations directory, shared by every built-in check.

A :class:`Walk` applies the migrations one by one, once, on an in-memory database and keeps after
each step the database image (``conn.serialize()``) and its schema snapshot. Checks restore the
image they need into a fresh connection instead of replaying from empty, so the total work of all
checks stays linear in the number of migrations.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from .. import database
from ..errors import CheckFailure, CheckSkipped, MigrateError
from ..migrate import Migration, MigrationSource, Migrator
from ..schema import Schema, snapshot


@dataclass(frozen=True)
class Step:
    """The state after applying ``migration`` (``None`` for the empty start): ``image`` (bytes
    of a database file) and ``schema`` (snapshot without the bookkeeping table)."""

    migration: Migration | None
    image: bytes
    schema: Schema


def restore(image: bytes) -> sqlite3.Connection:
    """A new in-memory connection (see :func:`database.connect`) holding a copy of ``image``."""
    conn = database.connect(":memory:")
    conn.deserialize(image)
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


class Walk:
    """The migrations of ``source`` applied in order, with the state after each one.

    ``base``: the state before the first migration (an empty database with the bookkeeping
    table); ``steps``: one :class:`Step` per migration applied successfully; ``failure``: the
    :class:`MigrateError` of the first migration that did not apply (the walk stops there), else
    ``None``; ``memo``: results several checks share, by key (e.g. the seeded runs of
    :mod:`~pytest_acodb.checks.data`), so each is computed once. Building costs one apply and one
    snapshot per migration.
    """

    def __init__(self, source: MigrationSource) -> None:
        self.source = source
        self.migrator = Migrator(source)
        self.exclude = (source.table_name,)
        self.steps: list[Step] = []
        self.failure: MigrateError | None = None
        self.memo: dict[tuple[str, int], Any] = {}
        conn = database.connect(":memory:")
        try:
            self.migrator.ensure_table(conn)
            self.base = Step(None, conn.serialize(), self.snapshot(conn))
            for migration in source:
                try:
                    self.migrator.apply(conn, migration)
                except MigrateError as exc:
                    self.failure = exc
                    break
                self.steps.append(Step(migration, conn.serialize(), self.snapshot(conn)))
        finally:
            conn.close()

    def snapshot(self, conn: sqlite3.Connection) -> Schema:
        """The schema of ``conn`` without the bookkeeping table."""
        return snapshot(conn, exclude=self.exclude)

    @property
    def final(self) -> Schema | None:
        """The schema after the last migration that applied (``None`` when none did)."""
        return self.steps[-1].schema if self.steps else None

    def index(self, version: int) -> int:
        """Position of ``version`` in the source (``ValueError`` when absent)."""
        return next(i for i, m in enumerate(self.source.migrations) if m.version == version)

    def before(self, version: int) -> Step | None:
        """The state just before ``version`` (``None`` when it was never reached)."""
        i = self.index(version)
        if i > len(self.steps):
            return None
        return self.base if i == 0 else self.steps[i - 1]

    def after(self, version: int) -> Step | None:
        """The state just after ``version`` (``None`` when it did not apply)."""
        i = self.index(version)
        return self.steps[i] if i < len(self.steps) else None

    def introduced_by(self, kind: str, name: str) -> int | None:
        """Version of the first migration after which a ``kind`` (table, index, trigger, view)
        called ``name`` exists, or ``None``."""
        for step in self.steps:
            schema = step.schema
            kinds: dict[str, Mapping[str, object]] = {
                "table": schema.tables,
                "index": schema.indexes,
                "trigger": schema.triggers,
                "view": schema.views,
            }
            if name in kinds[kind] and step.migration is not None:
                return step.migration.version
        return None


def fail(kind: str, subject: str, message: str) -> NoReturn:
    """Raise :class:`CheckFailure` for check ``kind`` on ``subject`` with ``message``."""
    raise CheckFailure(message, check=kind, subject=subject)


def require_complete(walk: Walk) -> None:
    """Raise :class:`CheckSkipped` when a migration of ``walk`` did not apply."""
    if walk.failure is not None:
        raise CheckSkipped(
            f"migration {walk.failure.version} does not apply, so the final schema "
            f"is unknown; see upgrade[{walk.failure.version}]"
        )
