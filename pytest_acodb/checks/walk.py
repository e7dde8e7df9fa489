"""One pass over a migrations directory, shared by every built-in check.

A :class:`Walk` applies the migrations one by one, once, on an in-memory database and keeps
after each step its schema snapshot (incremental: see :class:`~pytest_acodb.schema.SnapshotCache`)
and its :class:`Health`. What a check needs of the database itself at a step is read while the
walk is there, by the probes the plan gives it (:data:`Probe`: run on the walk's own connection,
in a savepoint rolled back), so no copy of every state is made. A check that needs a database
in the state after a version asks :meth:`Walk.open`, which restores the nearest checkpoint (an
image kept every :data:`CHECKPOINT_EVERY` steps, and after the last one) and applies the
migrations after it; the checks of the final state share one copy (:meth:`Walk.final_copy`).

Memory stays linear in the number of migrations: snapshots share every object and every
``sqlite_schema`` row they have in common, images are kept as pages shared with the images
before them (:class:`Pages`), and only checkpoints are kept. Health is read on the tables a step
can have touched (:func:`touched`), and in full once, after the last step.

A migration that calls a SQL function this SQLite lacks (one an extension of the application
provides) is applied again with a stand-in returning NULL, so the rest of the directory is still
checked; the stand-ins are kept on the walk's connector (:attr:`Outline.standins` says which
migration needed which). A missing virtual-table module stops the walk there (:func:`gap`).
"""

from __future__ import annotations

import re
import sqlite3
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Generic, TypeVar

from ..db import driver as drivers
from ..db.connect import Connector, default_connector, pages
from ..errors import MigrateError
from ..migrate import Migration, MigrationSource, Migrator, quote
from ..schema import Schema, SnapshotCache, snapshot
from ..schema.parse import function_names, virtual_module
from ..schema.snapshot import functions, modules
from ..synth.values import ValueProviders

Image = tuple[bytes, ...]
"""A database image as its pages, page 1 first (see :class:`Pages`)."""


class Pages:
    """Where the images of one walk keep their pages: a page equal to one kept before is that
    same ``bytes`` object, so images that share pages share memory. :attr:`stored` counts the
    bytes kept."""

    def __init__(self) -> None:
        self._pages: dict[bytes, bytes] = {}
        self.stored = 0

    def keep(self, conn: sqlite3.Connection) -> Image:
        """The image of the ``main`` database of ``conn`` (no transaction open), its pages shared
        with earlier images."""
        kept = []
        for page in pages(conn):
            found = self._pages.get(page)
            if found is None:
                self._pages[page] = found = page
                self.stored += len(page)
            kept.append(found)
        return tuple(kept)


@dataclass(frozen=True)
class Health:
    """What ``PRAGMA main.foreign_key_check`` (``broken``: its rows, ``(table, rowid, parent,
    fkid)``) and ``PRAGMA main.integrity_check`` (``integrity``: its lines, ``("ok",)`` when
    clean) say about a state; ``error``: the :class:`sqlite3.Error` one of them raised instead
    (e.g. ``foreign key mismatch``), else ``None``."""

    broken: tuple[tuple[Any, ...], ...] = ()
    integrity: tuple[str, ...] = ("ok",)
    error: Exception | None = None


def health(conn: sqlite3.Connection, tables: Iterable[str] | None = None) -> Health:
    """The :class:`Health` of the ``main`` database of ``conn``: of every table, or with
    ``tables`` of those only (``foreign_key_check`` and ``integrity_check`` of one table each).
    Never raises :class:`sqlite3.Error`: it is kept in :attr:`Health.error`."""
    try:
        if tables is None:
            broken = tuple(conn.execute("PRAGMA main.foreign_key_check").fetchall())
            integrity = tuple(r[0] for r in conn.execute("PRAGMA main.integrity_check"))
            return Health(broken, integrity)
        found: list[tuple[Any, ...]] = []
        lines: list[str] = []
        for table in tables:
            found += conn.execute(f"PRAGMA main.foreign_key_check({quote(table)})").fetchall()
            lines += [r[0] for r in conn.execute(f"PRAGMA main.integrity_check({quote(table)})")]
    except drivers.Error as exc:
        return Health(error=exc)
    problems = tuple(line for line in lines if line != "ok")
    return Health(tuple(found), problems or ("ok",))


_WORD = re.compile(r'[^\W\d][\w$]*|"(?:[^"]|"")*"|`[^`]*`|\[[^\]]*\]')
"""Identifiers (any letters, as SQLite allows) and quoted names in SQL text."""


@lru_cache(maxsize=1024)
def _words(sql: str) -> frozenset[str]:
    """The lower-cased identifiers and unquoted names in ``sql`` (a walk asks again for every
    trigger's text at every step)."""
    return frozenset(w.strip('"`[]').replace('""', '"').lower() for w in _WORD.findall(sql))


def named(schema: Schema, sql: str) -> set[str]:
    """Lower-cased names of the tables of ``schema`` that ``sql`` names (naming is enough)."""
    return set(_words(sql) & {n.lower() for n in schema.tables})


def reachable(schema: Schema, sql: str) -> set[str]:
    """Lower-cased names of the tables whose rows ``sql`` can change: those it names, the tables
    their triggers name, and the tables that point at any of these through foreign keys
    (cascades, SET NULL, RESTRICT), transitively. Over-approximates: naming is enough."""
    lower = {n.lower() for n in schema.tables}
    triggers: dict[str, list[str]] = {}
    for trigger in schema.triggers.values():
        triggers.setdefault(trigger.table.lower(), []).append(trigger.sql)
    children: dict[str, set[str]] = {}
    for name, table in schema.tables.items():
        for fk in table.foreign_keys:
            children.setdefault(fk.parent.lower(), set()).add(name.lower())
    found = set(_words(sql) & lower)
    todo = list(found)
    while todo:
        current = todo.pop()
        more = set().union(*(_words(t) & lower for t in triggers.get(current, [])))
        more |= children.get(current, set())
        for name in more - found:
            found.add(name)
            todo.append(name)
    return found


def touched(before: Schema, after: Schema, sql: str) -> list[str]:
    """Names (as in ``after``) of the tables a migration running ``sql`` on ``before`` can have
    left unhealthy: those it names, those whose definition changed, and their direct children
    (a parent's rows deleted or re-keyed breaks them)."""
    near = named(before, sql) | named(after, sql)
    near |= {n.lower() for n, t in after.tables.items() if before.tables.get(n) is not t}
    for table in after.tables.values():
        if any(fk.parent.lower() in near for fk in table.foreign_keys):
            near.add(table.name.lower())
    return [n for n in after.tables if n.lower() in near]


@dataclass(frozen=True)
class Gap:
    """What a migration needs that this SQLite lacks: ``functions`` (lower-cased names) and
    ``modules`` (virtual-table modules)."""

    functions: tuple[str, ...] = ()
    modules: tuple[str, ...] = ()

    def describe(self) -> str:
        """``calls vec_length(), which this SQLite lacks`` and the like."""
        parts = [f"calls {', '.join(f + '()' for f in self.functions)}"] if self.functions else []
        parts += (
            [f"uses the virtual-table module {', '.join(self.modules)}"] if self.modules else []
        )
        return " and ".join(parts) + ", which this SQLite lacks"


def gap(conn: sqlite3.Connection, error: MigrateError) -> Gap | None:
    """The :class:`Gap` behind ``error`` (a migration that failed on ``conn``): functions its
    failing statement calls and modules it uses that ``conn`` does not know; ``None`` when it
    failed for another reason (or this SQLite cannot list what it knows), or when a newer SQLite
    has what is missing built in (``error.needs``: the failure says which version, and a check
    fails with it rather than guessing at an extension)."""
    if error.needs == "newer-sqlite":
        return None
    statement = error.statement or ""
    known = functions(conn)
    missing = tuple(f for f in function_names(statement) if known and f not in known)
    module = virtual_module(statement)
    have = modules(conn) if module else frozenset()
    lacking = (module,) if module and have and module not in have else ()
    return Gap(missing, lacking) if missing or lacking else None


@dataclass(frozen=True)
class StandIns:
    """Registers ``names`` on a connection as SQL functions of any arity returning NULL: what a
    walk uses for functions an application's extensions provide and this SQLite lacks."""

    names: tuple[str, ...]

    def __call__(self, conn: Any) -> None:
        for name in self.names:
            conn.create_function(name, -1, _null)


def _null(*_args: Any) -> None:
    return None


def apply(
    migrator: Migrator, conn: sqlite3.Connection, migration: Migration, connector: Connector
) -> tuple[Connector, tuple[str, ...]]:
    """Apply ``migration`` on ``conn``; when it fails only because it calls functions ``conn``
    lacks, register stand-ins (:class:`StandIns`) and apply it again. Returns the connector to
    open further connections with (stand-ins added) and the functions stood in for. Raises the
    :class:`MigrateError` of any other failure."""
    standing: tuple[str, ...] = ()
    for _ in range(8):
        try:
            migrator.apply(conn, migration)
        except MigrateError as exc:
            found = gap(conn, exc)
            if exc.dirty or found is None or found.modules or not found.functions:
                raise
            stand = StandIns(found.functions)
            stand(conn)
            connector = replace(connector, on_connect=(*connector.on_connect, stand))
            standing += found.functions
            continue
        return connector, standing
    migrator.apply(conn, migration)  # the failure it still has, raised
    return connector, standing


def stood_in(walk: Walk, version: int) -> str | None:
    """Why checks of ``version`` on its own rows cannot be judged: it calls functions this
    SQLite lacks and was applied with stand-ins returning NULL (see the module docstring);
    ``None`` when it was applied as written."""
    stood = walk.standins.get(version)
    if not stood:
        return None
    return (
        f"migration {version} calls {', '.join(f + '()' for f in stood)}, which this SQLite "
        "lacks (an extension the application loads?): it was applied with a stand-in "
        "returning NULL so that the rest is checked; load that extension "
        "(--acodb-sqlite-extension or the acodb_sqlite_extensions ini key) for the checks to "
        "check this migration itself"
    )


CHECKPOINT_EVERY = 32
"""Steps between two images a :class:`Walk` keeps (:meth:`Walk.open` applies at most this many
migrations less one to reach any state)."""


@dataclass(frozen=True)
class Step:
    """The state after applying ``migration`` (``None`` for the empty start): ``schema``
    (snapshot without the bookkeeping table), ``health`` (its :class:`Health`, read on the
    walk's own connection so ``upgrade`` needs no copy) and ``pages`` (its :data:`Image`, kept
    at checkpoints and after the last step only, else ``None``)."""

    migration: Migration | None
    pages: Image | None
    schema: Schema
    health: Health = field(default_factory=Health)

    @property
    def image(self) -> bytes:
        """The bytes of a database file holding this state (a checkpoint's, the last step's).
        Raises :class:`ValueError` for a step that kept no image (see :meth:`Walk.open`)."""
        if self.pages is None:
            raise ValueError("this step kept no image; open its state with Walk.open")
        return b"".join(self.pages)


Probe = Callable[["Walk", sqlite3.Connection, Step, Step], None]
"""A look at the database while a :class:`Walk` is at a step: called with the walk, its own
connection (autocommit, holding the state after the step), the step before and the step
itself. It records what it finds in ``walk.memo`` and leaves the connection as it found it
(work inside ``SAVEPOINT`` ... ``ROLLBACK TO``)."""


S = TypeVar("S")


class History(Generic[S]):
    """What :class:`Outline` (a schema per migration) and :class:`Walk` (a :class:`Step` per
    migration) share: ``base``, the state before the first migration, and :attr:`states`, the
    state after each migration that applied, looked up by version."""

    source: MigrationSource
    base: S
    _position: dict[int, int]

    @property
    def states(self) -> list[S]:
        """The state after each migration that applied, in order."""
        raise NotImplementedError

    def index(self, version: int) -> int:
        """Position of ``version`` in the source (``ValueError`` when absent)."""
        try:
            return self._position[version]
        except KeyError:
            raise ValueError(f"version {version} is not in {self.source.directory}") from None

    def before(self, version: int) -> S | None:
        """The state just before ``version`` (``None`` when it was never reached)."""
        i = self.index(version)
        states = self.states
        if i > len(states):
            return None
        return self.base if i == 0 else states[i - 1]

    def after(self, version: int) -> S | None:
        """The state just after ``version`` (``None`` when it did not apply)."""
        i = self.index(version)
        states = self.states
        return states[i] if i < len(states) else None


class Outline(History[Schema]):
    """The migrations of ``source`` applied once, in order, with the schema after each one: what
    planning needs to name the checks (versions, triggers, foreign keys...), without the
    database images, health reads and seeded rows of a :class:`Walk`.

    ``base``: the schema before the first migration; ``schemas``: the schema after each
    migration that applied; ``failure``: the :class:`MigrateError` of the first migration that
    did not apply (the outline stops there), else ``None``; ``gap``: what that migration needs
    that this SQLite lacks, when that is why (a :class:`Gap`); ``standins``: ``{version:
    functions}`` applied with stand-ins; ``connector``: the connector given, with those
    stand-ins; ``cache``: the :class:`SnapshotCache` its snapshots filled, which a :class:`Walk`
    built from this outline reuses. Costs one apply and one incremental snapshot per migration.
    """

    def __init__(self, source: MigrationSource, connector: Connector | None = None) -> None:
        self.source = source
        self.connector = connector or default_connector()
        self.exclude = (source.table_name,)
        self.cache = SnapshotCache()
        self.schemas: list[Schema] = []
        self.failure: MigrateError | None = None
        self.gap: Gap | None = None
        self.standins: dict[int, tuple[str, ...]] = {}
        self._position = {m.version: i for i, m in enumerate(source.migrations)}
        migrator = Migrator(source)
        conn = self.connector.connect(":memory:")
        try:
            migrator.ensure_table(conn)
            self.base = last = snapshot(conn, exclude=self.exclude, cache=self.cache)
            for migration in source:
                try:
                    self.connector, stood = apply(migrator, conn, migration, self.connector)
                except MigrateError as exc:
                    self.failure = exc
                    self.gap = gap(conn, exc)
                    break
                if stood:
                    self.standins[migration.version] = stood
                last = snapshot(conn, exclude=self.exclude, cache=self.cache, known=(last,))
                self.schemas.append(last)
        finally:
            conn.close()

    @classmethod
    def of(cls, walk: Walk) -> Outline:
        """The outline ``walk`` already holds (its schemas, failure, gap and stand-ins, sharing
        its cache): no migration is applied again."""
        outline = cls.__new__(cls)
        outline.source, outline.connector = walk.source, walk.connector
        outline.exclude, outline.cache = walk.exclude, walk.cache
        outline.base = walk.base.schema
        outline.schemas = [s.schema for s in walk.steps]
        outline.failure, outline.gap = walk.failure, walk.gap
        outline.standins = dict(walk.standins)
        outline._position = walk._position
        return outline

    @property
    def states(self) -> list[Schema]:
        """The schema after each migration that applied (:attr:`schemas`)."""
        return self.schemas

    @property
    def final(self) -> Schema | None:
        """The schema after the last migration that applied (``None`` when none did)."""
        return self.schemas[-1] if self.schemas else None


class Walk(History[Step]):
    """The migrations of ``source`` applied in order, with the state after each one.

    ``base``: the state before the first migration (an empty database with the bookkeeping
    table); ``steps``: one :class:`Step` per migration applied successfully; ``failure``: the
    :class:`MigrateError` of the first migration that did not apply (the walk stops there), else
    ``None``; ``gap``: what it needs that this SQLite lacks, when that is why; ``standins``:
    ``{version: functions}`` applied with stand-ins (see the module docstring); ``memo``:
    results several checks share, by key (e.g. the seeded history of
    :mod:`~pytest_acodb.checks.seeding`), so each is computed once; ``cache``: the
    :class:`SnapshotCache` every snapshot of the walk shares; ``pages``: the :class:`Pages` its
    images keep; ``seed`` and ``values``: the seed of the rows checks synthesise and the values
    the project supplies per ``table.column``; ``probes``: looks at the database run after each
    step (:data:`Probe`). Building costs one apply, one (incremental) snapshot and one
    :func:`health` of the touched tables per migration, what the probes do, and an image per
    checkpoint; built from an :class:`Outline` of the same source, its snapshots cost nothing
    (they are the outline's).
    """

    def __init__(
        self,
        source: MigrationSource,
        connector: Connector | None = None,
        outline: Outline | None = None,
        *,
        seed: int = 0,
        values: ValueProviders | None = None,
        probes: Sequence[Probe] = (),
    ) -> None:
        self.source = source
        self.seed = seed
        self.values = values or ValueProviders()
        given = outline.connector if outline is not None else connector
        self.connector: Connector = given or default_connector()
        self.migrator = Migrator(source)
        self.exclude = (source.table_name,)
        self.steps: list[Step] = []
        self.failure: MigrateError | None = None
        self.gap: Gap | None = None
        self.standins = dict(outline.standins) if outline is not None else {}
        self.memo: dict[tuple[str, int], Any] = {}
        self.pages = Pages()
        self.cache = outline.cache if outline is not None else SnapshotCache()
        known = (outline.base, *outline.schemas) if outline is not None else ()
        self._position = {m.version: i for i, m in enumerate(source.migrations)}
        self._final: sqlite3.Connection | None = None
        self._settles_late: bool | None = None
        conn = self.connector.connect(":memory:")
        try:
            self.migrator.ensure_table(conn)
            base = self.snapshot(conn, *known[:1])
            self.base = last = Step(None, self.pages.keep(conn), base)
            for i, migration in enumerate(source, 1):
                try:
                    self.connector, stood = apply(self.migrator, conn, migration, self.connector)
                except MigrateError as exc:
                    self.failure = exc
                    self.gap = gap(conn, exc)
                    break
                if stood:
                    self.standins[migration.version] = stood
                # data-only steps share the schema before them; the outline's is this one
                schema = self.snapshot(conn, last.schema, *known[i : i + 1])
                final = i == len(source)
                tables = None if final else touched(last.schema, schema, migration.sql)
                kept = self.pages.keep(conn) if final or i % CHECKPOINT_EVERY == 0 else None
                step = Step(migration, kept, schema, health(conn, tables))
                for probe in probes:
                    probe(self, conn, last, step)
                self.steps.append(step)
                last = step
            if self.steps and self.steps[-1].pages is None:  # stopped early: keep where
                self.steps[-1] = replace(self.steps[-1], pages=self.pages.keep(conn))
        finally:
            conn.close()

    def restore(self, image: Image | bytes) -> sqlite3.Connection:
        """A new connection to a private in-memory database holding a copy of ``image`` (its
        pages, or the bytes of a database file; see :meth:`Connector.open_pages
        <pytest_acodb.db.connect.Connector.open_pages>`)."""
        if isinstance(image, bytes):
            return self.connector.open_image(image)
        return self.connector.open_pages(image)

    def open(self, version: int | None = None) -> sqlite3.Connection:
        """A new connection to a private in-memory database in the state after ``version``
        (``None``: before the first migration): the nearest checkpoint before it restored, and
        the migrations between applied. Raises :class:`ValueError` when ``version`` did not
        apply."""
        if version is None:
            assert self.base.pages is not None
            return self.restore(self.base.pages)
        i = self.index(version)
        if i >= len(self.steps):
            raise ValueError(f"migration {version} did not apply")
        start = i
        while start >= 0 and self.steps[start].pages is None:
            start -= 1
        origin = self.steps[start] if start >= 0 else self.base
        assert origin.pages is not None
        conn = self.restore(origin.pages)
        try:
            for step in self.steps[start + 1 : i + 1]:
                assert step.migration is not None
                apply(self.migrator, conn, step.migration, self.connector)
        except BaseException:
            conn.close()
            raise
        return conn

    def snapshot(self, conn: sqlite3.Connection, *known: Schema) -> Schema:
        """The schema of ``conn`` without the bookkeeping table (through the walk's cache);
        one of ``known`` (schemas of this walk) itself when ``conn`` has exactly its schema."""
        return snapshot(conn, exclude=self.exclude, cache=self.cache, known=known)

    @property
    def final(self) -> Schema | None:
        """The schema after the last migration that applied (``None`` when none did)."""
        return self.steps[-1].schema if self.steps else None

    def schemas(self) -> Iterator[Schema]:
        """Every schema of the walk, the empty start first."""
        yield self.base.schema
        yield from (s.schema for s in self.steps)

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
        assert step.pages is not None
        if self._settles_late is None:
            self._settles_late = any(
                "DEFERRED" in s.upper() or "ROLLBACK" in s.upper() for *_, s in step.schema.rows
            )
        if self._settles_late:
            conn = self.restore(step.pages)
            try:
                yield conn
            finally:
                conn.close()
            return
        if self._final is None:
            self._final = self.restore(step.pages)
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

    @property
    def states(self) -> list[Step]:
        """The state after each migration that applied (:attr:`steps`)."""
        return self.steps

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

    def column_added_by(self, table: str, column: str, since: int | None = None) -> int | None:
        """Version of the first migration after ``since`` (a version; ``None``: the start)
        after which ``table`` has a column ``column`` it did not have before it."""
        had = False
        for step in self.steps:
            found = step.schema.table(table)
            has = found is not None and found.column(column) is not None
            version = step.migration.version if step.migration else None
            if has and not had and version is not None and (since is None or version > since):
                return version
            had = has
        return None
