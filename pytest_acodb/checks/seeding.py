"""The seeded history ``data_survives``, ``round_trip`` and ``tx_pragma`` share: the migrations
applied, in order, to one database that holds rows, as production's does.

:class:`History` applies every migration to one database, exactly as sqlx does
(:meth:`Migrator.apply <pytest_acodb.migrate.Migrator.apply>`: one transaction with foreign keys
ON, unless the file starts with ``-- no-transaction``), and carries the rows forward: a table
gets :data:`ROWS` synthesised rows as soon as it exists while it holds none (seeded early, and
again when a migration emptied it), and one more row when a migration gives it new or redefined
columns (the application writes rows at the new definition). Everything else a table holds came
through the migrations themselves: the rows a data migration made for every parent, the singleton
row a migration inserted, values a migration rewrote. So a migration is judged on data its own
history can produce, not on rows synthesised against a schema in isolation. Rows are made with
what the history says about columns (:func:`~pytest_acodb.synth.hints.history_hints`: references
declared later, JSON columns) and the values the project supplies.

Each :class:`Run` records, per migration: the rows of the tables it can reach (:func:`reachable`)
before and after it, the error when it fails on these rows (the history then goes on from the
state after it on an empty database, seeded), the values it changed in rows that kept their key
without writing those columns by name, and the image of the state after it, where ``round_trip``
runs the down script on rows (one restore per version).

A table losing rows is a bug unless the migration deletes from it or drops it by name, deletes
from a parent whose ``ON DELETE CASCADE`` reaches it, or drops a parent whose own rows it does not
keep (a redesign, not a rebuild) (see :func:`lost`); :func:`explain` says why it happened. A
``DROP TABLE`` of a *parent* that is rebuilt with its rows, cascading into a child that stays, is
the classic broken table rebuild: SQLite runs an implicit ``DELETE`` before dropping a table, and
``PRAGMA foreign_keys = OFF`` is a no-op inside the transaction sqlx wraps the migration in. Rows
renamed away (``ALTER TABLE x RENAME TO x_old``) are not lost: they are in ``x_old``.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..db import driver as drivers
from ..errors import CheckSkipped, MigrateError
from ..migrate import Migration, quote
from ..migrate.sql import NO_TX_MARKER, split_statements
from ..migrate.statements import Action, actions, origins
from ..schema import Schema, Table
from ..schema.parse import (
    copied_from,
    created_columns,
    set_columns,
    transformed_columns,
    trigger_set_columns,
)
from ..synth.hints import Hints, history_hints
from ..synth.rows import RowSynth
from ..synth.values import ValueProviders
from .walk import Walk, apply, named, reachable

ROWS = 1
"""Rows a table gets while it is empty. One is what a real install that used a table at all
holds; invariants the application keeps (one row per provider, one settings row) hold for it."""

REBUILD_FIX = (
    "make `-- no-transaction` the first line of the file and run the rebuild as "
    "PRAGMA foreign_keys=OFF; BEGIN; ...; PRAGMA foreign_key_check; COMMIT; "
    "PRAGMA foreign_keys=ON (SQLite's 12-step ALTER TABLE procedure), or save the {child} rows "
    "in a temporary table and put them back in the same migration"
)


@dataclass(frozen=True)
class ValueChange:
    """Values of ``table.column`` that changed in ``rows`` of the ``of`` rows that kept their
    primary key across a migration that never writes that column by name."""

    table: str
    column: str
    rows: int
    of: int


@dataclass(frozen=True)
class Revert:
    """The down script of a migration run on the history's state just after it (rows in every
    table it can reach), then the up script again: ``error`` (the down's
    :class:`MigrateError`, else ``None``), ``schema`` and ``rows`` (``{table: rows}`` of the
    tables of :attr:`Run.held`) after the down, ``reapply_error`` and ``reapplied`` (the
    schema after applying it again). What the down leaves is ``None`` when it failed."""

    error: MigrateError | None
    schema: Schema | None = None
    rows: dict[str, int] | None = None
    reapply_error: MigrateError | None = None
    reapplied: Schema | None = None


@dataclass(frozen=True)
class Run:
    """Migration ``version`` applied to the history's database.

    ``before``: ``{table: rows}`` of the ordinary tables it can reach (:func:`reachable`), just
    before it; ``after``: the same for the tables after it (``None`` when it failed);
    ``error``: its :class:`MigrateError` on these rows, else ``None``; ``held``: ``{table:
    rows}`` of the ordinary tables the migration or its down script can reach, in the state
    after it with the rows added for its new and emptied tables (after a failure: the state
    after it on an empty database, seeded); ``revert``: its down script run on that state
    (:class:`Revert`; ``None`` without a down script); ``unseeded``: ``{table: why}`` for the
    tables it names that held no row because none could be made (a constraint or trigger the
    row synthesiser cannot meet); ``changed``: values it changed without
    writing them by name (:class:`ValueChange`).
    """

    version: int
    before: dict[str, int]
    after: dict[str, int] | None
    error: MigrateError | None
    held: dict[str, int] = field(default_factory=dict)
    revert: Revert | None = None
    unseeded: dict[str, str] = field(default_factory=dict)
    changed: tuple[ValueChange, ...] = ()


_CONNECTION_STATE = re.compile(r"\b(?:PRAGMA|TEMP|TEMPORARY|ATTACH|DETACH)\b", re.I)
"""Words of a script that can change its connection beyond the database file (settings, TEMP
objects, attached databases): such a migration is reverted on a fresh connection."""


def counts(conn: sqlite3.Connection, schema: Schema, names: Iterable[str]) -> dict[str, int]:
    """``{table: row count}`` for the ordinary tables of ``schema`` named in ``names``
    (case-insensitive; virtual, shadow and missing tables left out)."""
    wanted = {n.lower() for n in names}
    return {
        n: conn.execute(f"SELECT count(*) FROM {quote(n)}").fetchone()[0]
        for n, t in schema.tables.items()
        if t.ordinary and n.lower() in wanted
    }


class History:
    """The migrations of ``walk`` applied in order to one database holding rows (see the module
    docstring): :meth:`run` gives each migration's :class:`Run`.

    ``seed``: the seed of the synthesised rows; ``values``: values the project supplies per
    ``table.column``. Costs one apply per migration, plus rows for the tables that need them,
    two counts of the tables it can reach and two reads of the rows of those it names; and, for
    a reversible one, a copy of the database (SQLite's backup, in C), a revert and an apply.
    """

    def __init__(self, walk: Walk, seed: int = 0, values: ValueProviders | None = None) -> None:
        self.walk = walk
        self.seed = seed
        self.values = values or ValueProviders()
        scripts = [s for m in walk.source for s in (m.sql, m.down_sql or "")]
        self.hints: Hints = history_hints(walk.schemas(), scripts)
        self.runs: dict[int, Run] = {}
        self._rows: dict[str, int] = {}  # rows per table (lower-cased) of the current state
        self._position: int | None = None  # the running number of the rows made so far
        self._why: dict[str, str] = {}  # why a table (lower-cased) could not be seeded
        conn = walk.connector.connect(":memory:")
        try:
            walk.migrator.ensure_table(conn)
            schema = walk.base.schema
            for migration in walk.source:
                step = walk.after(migration.version)
                if step is None:
                    break
                conn, schema = self._step(conn, schema, migration, step.schema)
        finally:
            conn.close()

    def run(self, version: int) -> Run | None:
        """The :class:`Run` of ``version``, or ``None`` when the walk never applied it."""
        return self.runs.get(version)

    # -- one migration --------------------------------------------------------------------------

    def _step(
        self,
        conn: sqlite3.Connection,
        schema: Schema,
        migration: Migration,
        clean: Schema,
    ) -> tuple[sqlite3.Connection, Schema]:
        walk = self.walk
        script = migration.sql + "\n" + (migration.down_sql or "")
        reach = reachable(schema, script) - {walk.source.table_name.lower()}
        before = counts(conn, schema, reach)
        names = named(schema, migration.sql)
        rows_before = self._read(conn, schema, names)
        unseeded = {
            table: why
            for table, why in self._why.items()
            if table in names and not self._rows.get(table, 0)
        }
        error: MigrateError | None = None
        after: dict[str, int] | None = None
        changed: tuple[ValueChange, ...] = ()
        try:
            apply(walk.migrator, conn, migration, walk.connector)
        except MigrateError as exc:
            error = exc
            conn = self._recover(conn, schema, clean, migration)
            self._rows = {}
        else:
            # the same migrations applied to the same schema: the walk's snapshot is this one
            reach_after = reach | reachable(clean, script)
            after = counts(conn, clean, reach_after)
            changed = self._changes(migration, schema, clean, rows_before, conn)
            self._rows.update({n.lower(): c for n, c in after.items()})
            for name in {n.lower() for n in schema.tables} - {n.lower() for n in clean.tables}:
                self._rows.pop(name, None)
        for table, why in self._fill(conn, schema if error is None else None, clean).items():
            self._why[table.lower()] = why
        held = counts(conn, clean, reach | reachable(clean, script))
        revert = None
        if migration.down_sql is not None:
            conn, revert = self._revert(conn, migration, schema, clean, held)
        self.runs[migration.version] = Run(
            migration.version, before, after, error, held, revert, unseeded, changed
        )
        return conn, clean

    def _revert(
        self,
        conn: sqlite3.Connection,
        migration: Migration,
        before: Schema,
        after: Schema,
        held: dict[str, int],
    ) -> tuple[sqlite3.Connection, Revert]:
        """Run the down script of ``migration`` on ``conn`` (the history's state after it),
        then its up script again, and say what happened (:class:`Revert`). The state is first
        copied (SQLite's backup, page by page); the history goes on from ``conn`` when the
        round trip gave back the same schema and row counts, else from the copy. When a
        script of the migration changes connection state (PRAGMA, TEMP objects, ATTACH), the
        round trip runs on the copy, a fresh connection, as ``sqlx migrate revert`` would."""
        walk = self.walk
        saved = walk.connector.connect(":memory:")
        conn.backup(saved)
        fresh = _CONNECTION_STATE.search(migration.sql + (migration.down_sql or "")) is not None
        target = saved if fresh else conn
        try:
            walk.migrator.revert(target, migration)
        except MigrateError as exc:
            result = Revert(exc)
        else:
            reverted_schema = walk.snapshot(target, before, after)
            rows = counts(target, reverted_schema, held)
            try:
                apply(walk.migrator, target, migration, walk.connector)
            except MigrateError as exc:
                result = Revert(None, reverted_schema, rows, exc)
            else:
                again = walk.snapshot(target, after, before)
                result = Revert(None, reverted_schema, rows, None, again)
        if fresh:
            saved.close()
            return conn, result
        intact = (result.error is not None and not result.error.dirty) or (
            result.reapplied is not None
            and not after.diff(result.reapplied)
            and counts(conn, after, held) == held
        )

        if intact:
            saved.close()
            return conn, result
        conn.close()
        return saved, result

    def _recover(
        self,
        conn: sqlite3.Connection,
        schema: Schema,
        clean: Schema,
        migration: Migration,
    ) -> sqlite3.Connection:
        """The history's state after a migration that failed on its rows: the walk's state
        after it (:meth:`Walk.open`), holding the rows ``conn`` (the state before it) had in every
        table the migration neither names nor changes, and whose parents are kept too; ``conn``
        is closed."""
        mentioned = named(schema, migration.sql)
        keep = [
            n
            for n, t in schema.tables.items()
            if t.ordinary
            and n.lower() not in mentioned
            and n.lower() != self.walk.source.table_name.lower()
            and clean.tables.get(n) is t
        ]
        while True:  # a table whose parent is not kept would point at rows that are gone
            kept = {n.lower() for n in keep}
            cut = [
                n
                for n in keep
                if any(
                    fk.parent.lower() not in kept and fk.parent.lower() != n.lower()
                    for fk in schema.tables[n].foreign_keys
                )
            ]
            if not cut:
                break
            keep = [n for n in keep if n not in cut]
        columns = {
            n: ", ".join(quote(c.name) for c in schema.tables[n].columns if c.insertable)
            for n in keep
        }
        rows = {n: conn.execute(f"SELECT {columns[n]} FROM {quote(n)}").fetchall() for n in keep}
        conn.close()
        conn = self.walk.open(migration.version)
        conn.execute("PRAGMA foreign_keys = OFF")  # rows as they were, orphans included
        try:
            for name, found in rows.items():
                if not found:
                    continue
                marks = ", ".join("?" * len(found[0]))
                conn.execute("SAVEPOINT acodb_recover")
                try:
                    conn.execute(f"DELETE FROM {quote(name)}")
                    conn.executemany(
                        f"INSERT INTO {quote(name)} ({columns[name]}) VALUES ({marks})", found
                    )
                except drivers.Error:
                    conn.execute("ROLLBACK TO acodb_recover")
                conn.execute("RELEASE acodb_recover")
        finally:
            conn.execute("PRAGMA foreign_keys = ON")
        return conn

    def _fill(self, conn: sqlite3.Connection, old: Schema | None, new: Schema) -> dict[str, str]:
        """Give the tables of ``new`` that hold no row :data:`ROWS` rows, and one more row to
        those the migration (from ``old``; ``None``: all after a failure) gave new or redefined
        columns. Returns ``{table: why}`` for tables no row could be made for."""
        synth = RowSynth(
            conn,
            new,
            self.seed,
            reuse_parents=True,
            values=self.values,
            hints=self.hints,
        )
        if self._position is not None:  # values never repeat earlier ones by chance
            synth.position = self._position
        exclude = {self.walk.source.table_name.lower()}
        order = [n for n in synth.order() if n.lower() not in exclude]
        empty = []
        for name in order:
            known = self._rows.get(name.lower())
            if known is None:
                known = conn.execute(f"SELECT count(*) FROM {quote(name)}").fetchone()[0]
                self._rows[name.lower()] = known
            if not known:
                empty.append(name)
        grown = (
            []
            if old is None
            else [n for n in order if n not in empty and _redefined(old.table(n), new.tables[n])]
        )
        filled = synth.seed_tables(empty, ROWS, lenient=True)
        for name, added in synth.seed_tables(grown, 1, lenient=True).items():
            filled[name] = filled.get(name, 0) + added
        self._position = synth.position
        for name in {*empty, *grown}:  # parents made on the way are counted when next needed
            self._rows[name.lower()] = conn.execute(
                f"SELECT count(*) FROM {quote(name)}"
            ).fetchone()[0]
        return dict(synth.unseeded)

    def _read(
        self, conn: sqlite3.Connection, schema: Schema, names: set[str]
    ) -> dict[str, dict[tuple[Any, ...], dict[str, Any]]]:
        """``{table: {primary key: {column: value}}}`` of the tables of ``schema`` in ``names``
        that have a declared primary key (for :meth:`_changes`)."""
        found: dict[str, dict[tuple[Any, ...], dict[str, Any]]] = {}
        for name, table in schema.tables.items():
            if name.lower() not in names or not table.ordinary or not table.primary_key:
                continue
            if not self._rows.get(name.lower(), 1):
                continue
            cursor = conn.execute(f"SELECT * FROM {quote(name)}")
            columns = [d[0] for d in cursor.description]
            key = [columns.index(c) for c in table.primary_key if c in columns]
            found[name.lower()] = {
                tuple(r[i] for i in key): dict(zip(columns, r, strict=True)) for r in cursor
            }
        return found

    def _changes(
        self,
        migration: Migration,
        old: Schema,
        new: Schema,
        rows: dict[str, dict[tuple[Any, ...], dict[str, Any]]],
        conn: sqlite3.Connection,
    ) -> tuple[ValueChange, ...]:
        """Values of columns present before and after ``migration`` (in tables of the same name
        and primary key, that it does not delete from) that changed in rows that kept their
        key, for columns nothing writes by name (see :func:`written`)."""
        if not rows:
            return ()
        found = actions(migration.sql)
        exempt: set[tuple[str, str]] | None = None  # read (a parse of the script) once needed
        emptied = {  # rows deleted on purpose: new rows may take their keys
            original for a, original in origins(found) if a.verb == "DELETE" and a.kind == "TABLE"
        }
        emptied |= {a.name.lower() for a in found if a.verb == "DELETE" and a.kind == "TABLE"}
        emptied = _cascades(old, emptied)
        after = self._read(conn, new, set(rows))
        out: list[ValueChange] = []
        for name, was in rows.items():
            if name not in after or name in emptied:
                continue
            before_t, after_t = old.table(name), new.table(name)
            if before_t is None or after_t is None:
                continue
            if [c.lower() for c in before_t.primary_key] != [
                c.lower() for c in after_t.primary_key
            ]:
                continue
            now = after[name]
            common = [
                c.name
                for c in before_t.columns
                if c.insertable
                and not c.pk
                and (o := after_t.column(c.name)) is not None
                and o.insertable
            ]
            kept = [k for k in was if k in now]
            for column in common:
                target = after_t.column(column)
                assert target is not None
                differ = sum(not same(was[k][column], now[k].get(target.name)) for k in kept)
                if not differ:
                    continue
                if exempt is None:
                    exempt = written(migration.sql, old, new, found)
                if (name, column.lower()) not in exempt:
                    out.append(ValueChange(before_t.name, column, differ, len(kept)))
        return tuple(out)


def _redefined(old: Table | None, new: Table) -> bool:
    """True when ``new`` has a column ``old`` (the same table before) lacks, or declares one
    differently (type, NOT NULL, default, key): the application has something new to write."""
    if old is None or old is new:
        return False
    before = {(c.name.lower(), c.type, c.notnull, c.default, bool(c.pk)) for c in old.columns}
    return any(
        (c.name.lower(), c.type, c.notnull, c.default, bool(c.pk)) not in before
        for c in new.columns
        if c.insertable
    )


def same(a: Any, b: Any) -> bool:
    """Whether two stored values are the same datum, whatever storage class a rebuild's column
    affinity gave it (``'12'`` and ``12``, ``1`` and ``1.0``, text and its UTF-8 bytes)."""
    if a == b:
        return True
    if a is None or b is None:
        return False
    if isinstance(a, bytes) or isinstance(b, bytes):
        try:
            a = a.decode() if isinstance(a, bytes) else a
            b = b.decode() if isinstance(b, bytes) else b
        except UnicodeDecodeError:
            return False
        return bool(a == b)
    try:
        return float(a) == float(b)
    except (TypeError, ValueError):
        return str(a) == str(b)


def written(sql: str, old: Schema, new: Schema, found: tuple[Action, ...]) -> set[tuple[str, str]]:
    """``(table, column)`` pairs (lower-cased, original table names) a script writes by name:
    ``UPDATE ... SET``, upsert and ``REPLACE`` targets in it and in the triggers of the tables
    it writes, and the child columns of foreign keys whose parent it writes (ON UPDATE / ON
    DELETE actions change them)."""
    back = {a.name.lower(): original for a, original in origins(found) if a.name}
    out: set[tuple[str, str]] = set()
    writes = {
        original
        for a, original in origins(found)
        if a.verb in ("INSERT", "UPDATE", "DELETE", "REPLACE")
    }

    def add(table: str, column: str) -> None:
        # the table as the statement names it, and as it was named before the script
        out.update({(table, column.lower()), (back.get(table, table), column.lower())})

    created: dict[str, str] = {}  # tables the script creates: their CREATE TABLE, read if used
    for statement in split_statements(sql):
        for table, column in _altered(statement.text):
            add(table, column)
        upper = statement.text.upper()
        if "CREATE" in upper and "TABLE" in upper:
            name = next((a.name for a in actions(statement.text) if a.name), "")
            created[name.lower()] = statement.text
        if "SELECT" in upper:
            target = copied_from(statement.text)[0] if "INSERT" in upper else ""
            order = (created_columns(created[target]) if target in created else ()) or _columns_of(
                target, old, new
            )
            for use in transformed_columns(statement.text, order):
                add(use.table, use.column)
        for use in set_columns(statement.text) if _writes_by_name(statement.text) else ():
            add(use.table, use.column)
            writes.update({use.table, back.get(use.table, use.table)})
        target, sources = (
            copied_from(statement.text) if "INSERT" in statement.text.upper() else ("", ())
        )
        for table, column in list(out) if target else ():  # written in a copy, copied back
            if table in sources:
                add(target, column)
    for a in found:  # a table written in a copy that is then renamed into place
        if a.verb == "ALTER" and a.new_name:
            renamed_to = a.new_name.lower()
            out |= {(renamed_to, c) for t, c in list(out) if t == a.name.lower()}
    for schema in (old, new):
        for trigger in schema.triggers.values():
            if trigger.table.lower() in writes:
                out |= {
                    (back.get(u.table, u.table), u.column.lower())
                    for u in trigger_set_columns(trigger.text or trigger.sql)
                }
        for child in schema.tables.values():
            for fk in child.foreign_keys:
                if fk.parent.lower() in writes:
                    out |= {(child.name.lower(), c.lower()) for c in fk.columns}
    return out


def _columns_of(table: str, *schemas: Schema) -> tuple[str, ...]:
    """The columns of ``table`` (lower-cased name) in the first of ``schemas`` that has it."""
    for schema in schemas:
        found = schema.table(table) if table else None
        if found is not None:
            return tuple(c.name for c in found.columns)
    return ()


_ALTERED = re.compile(
    r"\bALTER\s+TABLE\s+(?P<table>\S+)\s+(?:(?:ADD|DROP)(?:\s+COLUMN)?|RENAME\s+(?:COLUMN\s+)?"
    r"(?P<old>\S+)\s+TO)\s+(?P<column>\"[^\"]+\"|`[^`]+`|\[[^\]]+\]|[\w$]+)",
    re.I,
)
"""``ALTER TABLE t ADD|DROP [COLUMN] c`` and ``... RENAME [COLUMN] a TO b``: columns a
migration redefines by name, so their values are its business."""


def _altered(statement: str) -> list[tuple[str, str]]:
    """``(table, column)`` pairs (lower-cased, unquoted) an ``ALTER TABLE`` statement adds, drops
    or renames (both names of a rename)."""
    found = _ALTERED.search(statement)
    if found is None:
        return []
    table = _unquote(found.group("table").split(".")[-1])
    names = [found.group("column")] + ([found.group("old")] if found.group("old") else [])
    return [(table, _unquote(n)) for n in names]


def _unquote(name: str) -> str:
    return name.strip('"`[]').lower()


def _writes_by_name(text: str) -> bool:
    upper = text.upper()
    return "SET" in upper or "REPLACE" in upper


def renamed(found: tuple[Action, ...]) -> dict[str, str]:
    """``{original name: name at the end}`` (lower-cased) of the tables a script renames."""
    current: dict[str, str] = {}
    for a, original in origins(found):
        if a.verb == "ALTER" and a.new_name:
            current[original] = a.new_name.lower()
    return current


def _cascades(schema: Schema, parents: set[str]) -> set[str]:
    """Lower-cased names of the tables ``ON DELETE CASCADE`` reaches from ``parents``."""
    reached = set(parents)
    grew = True
    while grew:
        grew = False
        for table in schema.tables.values():
            name = table.name.lower()
            if name not in reached and any(
                fk.parent.lower() in reached and fk.on_delete.upper() == "CASCADE"
                for fk in table.foreign_keys
            ):
                reached.add(name)
                grew = True
    return reached


def _ancestors(schema: Schema, table: str) -> set[str]:
    """Lower-cased names of the tables ``table`` points at through foreign keys, transitively."""
    by_name = {n.lower(): t for n, t in schema.tables.items()}
    found: set[str] = set()
    todo = [table.lower()]
    while todo:
        current = by_name.get(todo.pop())
        for fk in current.foreign_keys if current else ():
            parent = fk.parent.lower()
            if parent not in found:
                found.add(parent)
                todo.append(parent)
    return found


def on_purpose(scripts: Iterable[tuple[Action, ...]], schema: Schema) -> set[str]:
    """Lower-cased names of the tables whose rows ``scripts`` remove on purpose: the targets of
    ``DELETE FROM`` (and the tables their ``ON DELETE CASCADE`` reaches in ``schema``) and of
    ``DROP TABLE``, followed back through ``ALTER TABLE ... RENAME TO``. A table emptied by the
    ``DROP TABLE`` of its *parent* is not on purpose."""
    deleted: set[str] = set()
    dropped: set[str] = set()
    for found in scripts:
        for a, original in origins(found):
            if a.kind == "TABLE" and a.name and a.verb in ("DELETE", "DROP"):
                (deleted if a.verb == "DELETE" else dropped).update({a.name.lower(), original})
    return _cascades(schema, deleted) | dropped


def _cause(table: str, found: tuple[Action, ...], schema: Schema) -> tuple[Action, str] | None:
    """The ``DROP TABLE`` of a parent of ``table`` (in ``schema``) among ``found``, with that
    parent's original name, or ``None``."""
    ancestors = _ancestors(schema, table)
    for a, parent in origins(found):
        if a.verb == "DROP" and a.kind == "TABLE" and parent in ancestors:
            return a, parent
    return None


def explain(
    table: str, was: int, now: int, script: str, path: str, schema: Schema, after: Schema
) -> str:
    """One sentence about ``table`` losing rows (``was`` -> ``now``) while ``script`` (the text
    of the file named ``path``) ran on ``schema``, giving ``after``: the cascade through a
    rebuilt or dropped parent when that is what happened, with the fix."""
    found = actions(script)
    cause = _cause(table, found, schema)
    fell = f"rows of {table} fell from {was} to {now}"
    if cause is None:
        return (
            f"{fell} in {path}, which neither deletes from nor drops {table}; look for an "
            "INSERT ... SELECT that filters, a REPLACE or a trigger that deletes, or delete on "
            f"purpose with DELETE FROM {table}"
        )
    drop, parent = cause
    state = "rebuilt" if any(n.lower() == parent for n in after.tables) else "dropped"
    where = f"{path}:{drop.line}: DROP TABLE {drop.name}"
    fix = REBUILD_FIX.format(child=table)
    if script.startswith(NO_TX_MARKER):
        return (
            f"{fell} while {parent} was {state} ({where}): this script runs outside a "
            "transaction, but foreign keys were still ON when the table was dropped, so "
            f"SQLite deleted its rows first and ON DELETE CASCADE took the {table} rows along "
            "(PRAGMA foreign_keys=OFF only works outside BEGIN ... COMMIT); " + fix
        )
    pragma = next(  # a script that tried to turn them off: that PRAGMA is named
        (
            a
            for a in found
            if a.verb == "PRAGMA"
            and a.name == "foreign_keys"
            and a.value in ("OFF", "0", "FALSE", "NO")
        ),
        None,
    )
    noted = f" (the PRAGMA foreign_keys=OFF on line {pragma.line} did nothing)" if pragma else ""
    return (
        f"{fell} while {parent} was {state} ({where}): sqlx runs each migration in a "
        "transaction with foreign keys ON, where PRAGMA foreign_keys=OFF has no effect"
        f"{noted}, so DROP TABLE {drop.name} deleted its rows first and ON DELETE CASCADE took "
        f"the {table} rows along; " + fix
    )


def lost(
    before: dict[str, int],
    after: dict[str, int],
    found: tuple[Action, ...],
    schema: Schema,
    exempt: set[str],
) -> list[tuple[str, int, int]]:
    """``(table, was, now)`` for each table of ``before`` (``{table: rows}``, in ``schema``)
    holding fewer rows in ``after`` once the script's actions ``found`` ran, but the lower-cased
    names in ``exempt``. Rows renamed away are found under the new name; a child emptied by the
    ``DROP TABLE`` of a parent whose own rows the script does not keep (a redesign: the parent
    is dropped and made anew, not rebuilt with its rows) lost them with it, on purpose."""
    now = {n.lower(): c for n, c in after.items()}
    was = {n.lower(): c for n, c in before.items()}
    moved = renamed(found)

    def kept(name: str) -> int | None:
        held = [c for c in (now.get(name), now.get(moved.get(name, ""))) if c is not None]
        return max(held) if held else None

    out = []
    for name, count in before.items():
        low = name.lower()
        left = kept(low)
        if not count or low in exempt or left is None or left >= count:
            continue
        cause = _cause(name, found, schema)
        if cause is not None:
            parent = cause[1]
            parent_left = kept(parent)
            if parent in was and (parent_left is None or parent_left < was[parent]):
                continue
        out.append((name, count, left))
    return out


def history(walk: Walk) -> History:
    """The :class:`History` of ``walk`` (its ``seed`` and ``values``), made once per walk."""
    key = ("history", 0)
    if key not in walk.memo:
        walk.memo[key] = History(walk, walk.seed, walk.values)
    return walk.memo[key]  # type: ignore[no-any-return]


def seeded_run(walk: Walk, version: int) -> Run:
    """The :class:`Run` of ``version`` in the history of ``walk``. Raises
    :class:`CheckSkipped` when the walk never applied ``version``."""
    run = history(walk).run(version) if walk.after(version) is not None else None
    if run is None:
        raise CheckSkipped(f"migration {version} was not applied; see upgrade[{version}]")
    return run


def reverted(walk: Walk, version: int) -> Revert:
    """The :class:`Revert` of ``version`` (which has a down script) in the history of ``walk``:
    what ``round_trip`` and the ``tx_pragma`` lint of a down file read. Raises
    :class:`CheckSkipped` when the walk never applied it."""
    run = seeded_run(walk, version)
    assert run.revert is not None, f"migration {version} has no down script"
    return run.revert


def reverts_when_empty(walk: Walk, version: int) -> bool:
    """Whether the down script of ``version`` runs on the walk's state after it, where the
    tables hold only what the migrations put there."""
    migration = walk.source.get(version)
    assert migration is not None
    conn = walk.open(version)
    try:
        walk.migrator.revert(conn, migration)
    except MigrateError:
        return False
    finally:
        conn.close()
    return True


def dropped_parents(script: str, schema: Schema) -> dict[str, list[str]]:
    """``{dropped table: [tables of schema referencing it]}`` for each table ``script`` drops
    (followed back through renames) that another table of ``schema`` references by foreign
    key: where a ``DROP TABLE`` deletes rows other tables depend on."""
    found: dict[str, list[str]] = {}
    for a, original in origins(actions(script)):
        if a.verb != "DROP" or a.kind != "TABLE":
            continue
        for name in {a.name.lower(), original}:
            children = [
                t.name
                for t in schema.tables.values()
                if t.name.lower() != name
                and any(fk.parent.lower() == name for fk in t.foreign_keys)
            ]
            if children:
                found.setdefault(name, []).extend(
                    c for c in children if c not in found.get(name, [])
                )
    return found


SQLITE_CONSTRAINT = 19
"""SQLite's primary result code of every failed constraint; drivers that give no extended codes
(sqlean) say only this for ``SQLITE_CONSTRAINT_FOREIGNKEY`` (787)."""


def _refused_drop(exc: MigrateError, schema: Schema) -> bool:
    """True when SQLite refused the ``DROP TABLE`` of ``exc`` for a foreign key: the result code
    of the driver error it comes from is ``SQLITE_CONSTRAINT_FOREIGNKEY``, or (a driver giving
    only primary codes) ``SQLITE_CONSTRAINT`` while another table of ``schema`` (the schema the
    script ran on) references the dropped table."""
    dropped = [a for a in actions(exc.statement or "") if a.verb == "DROP" and a.kind == "TABLE"]
    cause = exc.__cause__
    if not dropped or not isinstance(cause, drivers.Error):
        return False
    code = drivers.error_code(cause)
    if code == drivers.SQLITE_CONSTRAINT_FOREIGNKEY:
        return True
    if code is not None and code != SQLITE_CONSTRAINT:
        return False
    name = dropped[0].name.lower()
    return any(
        fk.parent.lower() == name
        for t in schema.tables.values()
        if t.name.lower() != name
        for fk in t.foreign_keys
    )


def failed_with_rows(exc: MigrateError, version: int, action: str, schema: Schema) -> str:
    """The message for ``version`` failing to apply or revert (``action``: ``applying``,
    ``reverting``) on the seeded copy of ``schema``; a ``DROP TABLE`` SQLite refused for a
    foreign key (:func:`_refused_drop`) gets the rebuild advice."""
    hint = ""
    if _refused_drop(exc, schema):
        hint = (
            "; DROP TABLE deletes the table's rows first, and rows of other tables still "
            "point at them: " + REBUILD_FIX.format(child="child")
        )
    return (
        f"{action} migration {version} works on an empty database but fails once the tables "
        f"hold rows: {exc}{hint}"
    )
