"""One pass over a migrations directory, shared by every built-in check.

A :class:`Walk` applies the migrations one by one, once, on an in-memory database and keeps after
each step the database image (the bytes of a database file), its schema snapshot (incremental: see
:class:`~pytest_acodb.schema.SnapshotCache`) and its :class:`Health`. Checks restore the image they
need into a fresh connection instead of replaying from empty; the checks of the final state share
one copy (:meth:`Walk.final_copy`). Each restore still costs SQLite a parse of the whole schema,
as does every ``ALTER TABLE`` a migration runs, so per-version work grows with the schema size.
"""

from __future__ import annotations

import sqlite3
import weakref
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ..db import driver as drivers
from ..db.connect import Connector, default_connector
from ..errors import MigrateError
from ..migrate import Migration, MigrationSource, Migrator
from ..schema import Schema, SnapshotCache, snapshot


@dataclass(frozen=True)
class Health:
    """What ``PRAGMA main.foreign_key_check`` (``broken``: its rows, ``(table, rowid, parent,
    fkid)``) and ``PRAGMA main.integrity_check`` (``integrity``: its lines, ``("ok",)`` when
    clean) say about a state; ``error``: the :class:`sqlite3.Error` one of them raised instead
    (e.g. ``foreign key mismatch``), else ``None``."""

    broken: tuple[tuple[Any, ...], ...] = ()
    integrity: tuple[str, ...] = ("ok",)
    error: Exception | None = None


def health(conn: sqlite3.Connection) -> Health:
    """The :class:`Health` of the ``main`` database of ``conn`` (never raises
    :class:`sqlite3.Error`: it is kept in :attr:`Health.error`)."""
    try:
        broken = tuple(conn.execute("PRAGMA main.foreign_key_check").fetchall())
        integrity = tuple(r[0] for r in conn.execute("PRAGMA main.integrity_check"))
    except drivers.Error as exc:
        return Health(error=exc)
    return Health(broken, integrity)


@dataclass(frozen=True)
class Step:
    """The state after applying ``migration`` (``None`` for the empty start): ``image`` (bytes
    of a database file), ``schema`` (snapshot without the bookkeeping table) and ``health``
    (its :class:`Health`, read on the walk's own connection so ``upgrade`` needs no copy)."""

    migration: Migration | None
    image: bytes
    schema: Schema
    health: Health = Health()


class Outline:
    """The migrations of ``source`` applied once, in order, with the schema after each one: what
    planning needs to name the checks (versions, triggers, foreign keys...), without the
    database images, health reads and seeded rows of a :class:`Walk`.

    ``base``: the schema before the first migration; ``schemas``: the schema after each
    migration that applied; ``failure``: the :class:`MigrateError` of the first migration that
    did not apply (the outline stops there), else ``None``; ``image``: the database image after
    the last migration that applied (with no ``failure``, a template of the directory);
    ``cache``: the :class:`SnapshotCache` its snapshots filled, which a :class:`Walk` built from
    this outline reuses. Costs one apply and one incremental snapshot per migration.
    """

    def __init__(self, source: MigrationSource, connector: Connector | None = None) -> None:
        self.source = source
        self.connector = connector or default_connector()
        self.exclude = (source.table_name,)
        self.cache = SnapshotCache()
        self.schemas: list[Schema] = []
        self.failure: MigrateError | None = None
        self.image = b""
        self._position = {m.version: i for i, m in enumerate(source.migrations)}
        migrator = Migrator(source)
        conn = self.connector.connect(":memory:")
        try:
            migrator.ensure_table(conn)
            self.base = last = snapshot(conn, exclude=self.exclude, cache=self.cache)
            for migration in source:
                try:
                    migrator.apply(conn, migration)
                except MigrateError as exc:
                    self.failure = exc
                    break
                last = snapshot(conn, exclude=self.exclude, cache=self.cache, known=(last,))
                self.schemas.append(last)
            self.image = self.connector.image(conn)
        finally:
            conn.close()

    def index(self, version: int) -> int:
        """Position of ``version`` in the source (``ValueError`` when absent)."""
        try:
            return self._position[version]
        except KeyError:
            raise ValueError(f"version {version} is not in {self.source.directory}") from None

    def before(self, version: int) -> Schema | None:
        """The schema just before ``version`` (``None`` when it was never reached)."""
        i = self.index(version)
        if i > len(self.schemas):
            return None
        return self.base if i == 0 else self.schemas[i - 1]

    def after(self, version: int) -> Schema | None:
        """The schema just after ``version`` (``None`` when it did not apply)."""
        i = self.index(version)
        return self.schemas[i] if i < len(self.schemas) else None

    @property
    def final(self) -> Schema | None:
        """The schema after the last migration that applied (``None`` when none did)."""
        return self.schemas[-1] if self.schemas else None


class Walk:
    """The migrations of ``source`` applied in order, with the state after each one.

    ``base``: the state before the first migration (an empty database with the bookkeeping
    table); ``steps``: one :class:`Step` per migration applied successfully; ``failure``: the
    :class:`MigrateError` of the first migration that did not apply (the walk stops there), else
    ``None``; ``memo``: results several checks share, by key (e.g. the seeded runs of
    :mod:`~pytest_acodb.checks.data`), so each is computed once; ``cache``: the
    :class:`SnapshotCache` every snapshot of the walk shares, so a snapshot reads only the
    objects a migration created or changed. Building costs one apply, one serialisation, one
    (incremental) snapshot and one :func:`health` per migration; built from an :class:`Outline`
    of the same source, its snapshots cost nothing (they are the outline's).
    """

    def __init__(
        self,
        source: MigrationSource,
        connector: Connector | None = None,
        outline: Outline | None = None,
    ) -> None:
        self.source = source
        self.connector = connector or default_connector()
        self.migrator = Migrator(source)
        self.exclude = (source.table_name,)
        self.steps: list[Step] = []
        self.failure: MigrateError | None = None
        self.memo: dict[tuple[str, int], Any] = {}
        self.cache = outline.cache if outline is not None else SnapshotCache()
        known = (outline.base, *outline.schemas) if outline is not None else ()
        self._position = {m.version: i for i, m in enumerate(source.migrations)}
        self._final: sqlite3.Connection | None = None
        conn = self.connector.connect(":memory:")
        try:
            self.migrator.ensure_table(conn)
            base = self.snapshot(conn, *known[:1])
            self.base = last = Step(None, self.connector.image(conn), base)
            for i, migration in enumerate(source, 1):
                try:
                    self.migrator.apply(conn, migration)
                except MigrateError as exc:
                    self.failure = exc
                    break
                # data-only steps share the schema before them; the outline's is this one
                schema = self.snapshot(conn, last.schema, *known[i : i + 1])
                last = Step(migration, self.connector.image(conn), schema, health(conn))
                self.steps.append(last)
        finally:
            conn.close()

    def restore(self, image: bytes) -> sqlite3.Connection:
        """A new connection to a private in-memory database holding a copy of ``image`` (see
        :meth:`Connector.open_image <pytest_acodb.db.connect.Connector.open_image>`)."""
        return self.connector.open_image(image)

    def snapshot(self, conn: sqlite3.Connection, *known: Schema) -> Schema:
        """The schema of ``conn`` without the bookkeeping table (through the walk's cache);
        one of ``known`` (schemas of this walk) itself when ``conn`` has exactly its schema."""
        return snapshot(conn, exclude=self.exclude, cache=self.cache, known=known)

    @property
    def final(self) -> Schema | None:
        """The schema after the last migration that applied (``None`` when none did)."""
        return self.steps[-1].schema if self.steps else None

    @contextmanager
    def final_copy(self) -> Iterator[sqlite3.Connection]:
        """A connection holding the state after the last migration that applied, for a check
        to change at will: its changes are gone when the block ends.

        One restored copy per walk serves every block, each inside ``BEGIN`` ... ``ROLLBACK``
        (restoring a copy costs a parse of the whole schema), unless that final schema names
        ``DEFERRED`` (deferred foreign keys are only checked at ``COMMIT``) or ``ROLLBACK``
        (``ON CONFLICT ROLLBACK``, ``RAISE(ROLLBACK, ...)`` end the whole transaction): those
        behave differently inside a transaction, so each block then gets a fresh copy in
        autocommit mode, closed afterwards. Connection settings a block changes (``PRAGMA
        recursive_triggers``...) are its own to put back. Raises :class:`IndexError` when no
        migration applied.
        """
        step = self.steps[-1]
        if any("DEFERRED" in s.upper() or "ROLLBACK" in s.upper() for *_, s in step.schema.rows):
            conn = self.restore(step.image)
            try:
                yield conn
            finally:
                conn.close()
            return
        if self._final is None:
            self._final = self.restore(step.image)
            weakref.finalize(self, self._final.close)
        conn = self._final
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            else:  # something ended the transaction early: the copy may have changed
                self._final = None
                conn.close()

    def index(self, version: int) -> int:
        """Position of ``version`` in the source (``ValueError`` when absent)."""
        try:
            return self._position[version]
        except KeyError:
            raise ValueError(f"version {version} is not in {self.source.directory}") from None

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
