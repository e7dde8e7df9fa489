"""The ``lost_objects`` and ``triggers_fire`` checks: what a table rebuild forgets.

- ``lost_objects[version]``: an index or trigger that existed before the migration is gone after
  it, though the migration never drops it by name and its table is still there (SQLite drops a
  table's indexes and triggers with it, so a rebuild must create them again).
- ``triggers_fire[version]``: every trigger the migration creates, changes, or could break (its
  SQL names a table the migration changes) and that names a table or column the schema lacks
  (:meth:`Schema.dangling <pytest_acodb.schema.Schema.dangling>`: a trigger left pointing at a
  table or column a rename or rebuild removed) is fired once on a synthesised row inside a
  savepoint that is rolled back; it is broken when SQLite refuses the statement that fires it.

Both read the states the :class:`~.walk.Walk` kept; neither applies a migration.
"""

from __future__ import annotations

import re
import sqlite3
from functools import lru_cache

from ..db import driver as drivers
from ..errors import AcodbError, CheckSkipped
from ..migrate import Migration, quote
from ..migrate.statements import Action, actions, named, origins
from ..schema import Index, Schema, Table, Trigger, normalise_sql
from ..synth.rows import RowSynth
from .base import fail
from .walk import Step, Walk

SQLITE_ERROR = 1
"""SQLite's primary result code for an SQL error, such as a table or column that does not exist
(``no such table`` / ``no such column``), as opposed to a constraint that failed."""


def _same(a: Index, b: Index) -> bool:
    """Same table, keys (column or expression, order, collation), uniqueness and WHERE."""
    return (a.table.lower(), a.keys, a.unique, a.where) == (
        b.table.lower(),
        b.keys,
        b.unique,
        b.where,
    )


def index_sql(index: Index) -> str:
    """The ``CREATE INDEX`` statement of ``index`` as SQLite kept it (whitespace-normalised), or
    one made from its keys when it has none."""
    if index.sql:
        return normalise_sql(index.sql)
    unique = "UNIQUE " if index.unique else ""
    where = f" WHERE {index.where}" if index.where else ""
    keys = ", ".join(str(k) for k in index.keys) or ", ".join(index.columns)
    return f"CREATE {unique}INDEX {index.name} ON {index.table}({keys}){where}"


def _taken_by(table: str, found: tuple[Action, ...]) -> str:
    """`` by DROP TABLE x (line n)`` when a statement of ``found`` dropped ``table`` (or the
    name it was renamed to), else ``""``."""
    for a, original in origins(found):
        if a.verb == "DROP" and a.kind == "TABLE" and original == table.lower():
            return f" with DROP TABLE {a.name} (line {a.line})"
    return ""


def _candidates(migration: Migration, before: Schema, after: Schema) -> list[tuple[str, str, str]]:
    """``(kind, name, statement to restore it)`` of each index and trigger of a table that
    still exists after ``migration`` that is gone after it though it never drops it by name,
    re-created under another name, or replaced (:func:`_replaced`)."""
    found = actions(migration.sql)
    redesigned = _redesigned(migration.sql, found)
    tables = {n.lower() for n in after.tables} | {n.lower() for n in after.views}
    tables -= redesigned
    candidates: list[tuple[str, str, str]] = []
    dropped = named(found, "DROP", "INDEX")
    for name, index in before.indexes.items():
        if (
            index.origin != "c"
            or name in after.indexes
            or name.lower() in dropped
            or index.table.lower() not in tables
            or any(_same(index, other) for other in after.indexes.values())
            or _replaced(index, before, after)
        ):
            continue
        candidates.append(("index", name, index_sql(index)))
    dropped = named(found, "DROP", "TRIGGER")
    for name, trigger in before.triggers.items():
        if name in after.triggers or name.lower() in dropped or trigger.table.lower() not in tables:
            continue
        candidates.append(("trigger", name, trigger.text or trigger.sql))
    return candidates


def probe_lost_objects(walk: Walk, conn: sqlite3.Connection, before: Step, step: Step) -> None:
    """A :data:`~.walk.Probe`: the objects ``lost_objects`` reports for this step (its
    :func:`_candidates` whose statement runs on the state after it), kept in ``walk.memo``."""
    if step.migration is None:
        return
    candidates = _candidates(step.migration, before.schema, step.schema)
    fits = _fit(conn, [sql for *_, sql in candidates]) if candidates else []
    walk.memo[("lost_objects", step.migration.version)] = [
        c for c, ok in zip(candidates, fits, strict=True) if ok
    ]


def check_lost_objects(walk: Walk, version: int) -> None:
    """No index (``CREATE INDEX``) or trigger of a table that still exists after ``version``
    disappears in it unless it is dropped by name (``DROP INDEX`` / ``DROP TRIGGER``). Not lost:
    an index re-created under another name with the same table, keys, uniqueness and WHERE; one
    the migration replaced (:func:`_replaced`: it made an index on the table covering the same
    columns); and one that no longer fits the table (a redesign: creating it again on the state
    after the migration fails, e.g. its columns are gone). Raises :class:`CheckFailure` naming
    each lost object and the statement to restore it, a statement that was run on the resulting
    schema first (by :func:`probe_lost_objects`, or here on a copy when the walk had no probe)."""
    subject = str(version)
    migration = walk.source.get(version)
    before, after = walk.before(version), walk.after(version)
    if migration is None or before is None or after is None:
        raise CheckSkipped(f"migration {version} was not applied; see upgrade[{version}]")
    key = ("lost_objects", version)
    if key not in walk.memo:
        conn = walk.open(version)
        try:
            probe_lost_objects(walk, conn, before, after)
        finally:
            conn.close()
    candidates: list[tuple[str, str, str]] = walk.memo[key]
    found = actions(migration.sql)
    lost: list[str] = []
    for kind, name, sql in candidates:
        if kind == "index":
            index = before.schema.indexes[name]
            lost.append(
                f"index {name} on {index.table}({', '.join(index.columns)}) went"
                f"{_taken_by(index.table, found)}; create it again after the rebuild: {sql}"
            )
        else:
            trigger = before.schema.triggers[name]
            shown = normalise_sql(sql)
            shown = shown if len(shown) <= 160 else shown[:157] + "..."
            lost.append(
                f"trigger {name} on {trigger.table} went{_taken_by(trigger.table, found)}; "
                f"create it again after the rebuild: {shown}"
            )
    if lost:
        fail(
            "lost_objects",
            subject,
            f"{migration.path.name}: these existed before migration "
            f"{version} and are gone after it, though it never drops them by name (SQLite drops "
            "a table's indexes and triggers with the table): " + "; ".join(lost),
        )


def _redesigned(sql: str, found: tuple[Action, ...]) -> set[str]:
    """Lower-cased names of the tables ``sql`` drops and creates anew without copying their
    rows (no ``INSERT ... SELECT`` reads the old table, under its name or the one a ``RENAME TO``
    gave it): a redesign, whose old indexes and triggers go with the old definition on purpose.
    A rebuild that copies the rows is not one: its forgotten indexes are lost."""
    from ..schema.parse import copied_from

    origin: dict[str, str] = {}  # current name -> name at the start ("+name": made by the script)
    dropped: set[str] = set()
    read: set[str] = set()
    for a in found:
        name = a.name.lower()
        if a.verb == "ALTER" and a.new_name:
            origin[a.new_name.lower()] = origin.pop(name, name)
        elif a.verb == "DROP" and a.kind == "TABLE" and name:
            dropped.add(origin.pop(name, name))
        elif a.verb == "CREATE" and a.kind == "TABLE" and name:
            if "SELECT" in a.text.upper():  # CREATE TABLE ... AS SELECT copies rows
                read |= {origin.get(t, t) for t in copied_from(a.text)[1]}
            origin[name] = "+" + name
        elif a.verb in ("INSERT", "REPLACE") and "SELECT" in a.text.upper():
            read |= {origin.get(t, t) for t in copied_from(a.text)[1]}
    made = {current for current, first in origin.items() if first.startswith("+")}
    return {t for t in dropped & made if t not in read}


def _replaced(index: Index, before: Schema, after: Schema) -> bool:
    """True when an index of ``index``'s table after the migration serves what it served: one
    that leads with, or holds, the same columns (for a UNIQUE index: a UNIQUE one on no more
    columns than it had), whether the migration made it or the table already had it (a UNIQUE
    column's own index makes a plain index on it redundant)."""
    mine = {c.lower() for c in index.columns}
    if "<expr>" in mine:
        return False
    for other in after.indexes.values():
        if other.table.lower() != index.table.lower():
            continue
        theirs = {c.lower() for c in other.columns}
        if index.unique:
            if other.unique and theirs <= mine and other.where is None:
                return True
        elif mine <= theirs and (index.where is None or other.where == index.where):
            return True
    return False


def _fit(conn: sqlite3.Connection, statements: list[str]) -> list[bool]:
    """Whether each of ``statements`` runs on ``conn`` (each in a savepoint rolled back): advice
    must never be SQL that fails on the schema it is meant for."""
    out = []
    for sql in statements:
        conn.execute("SAVEPOINT acodb_advice")
        try:
            conn.execute(sql)
        except drivers.Error:
            out.append(False)
        else:
            out.append(True)
        finally:
            conn.execute("ROLLBACK TO acodb_advice")
            conn.execute("RELEASE acodb_advice")
    return out


@lru_cache(maxsize=4096)
def _words(sql: str) -> frozenset[str]:
    """Lower-cased words of ``sql`` (identifiers and keywords), for a cheap "does it name x"."""
    return frozenset(w.lower() for w in re.findall(r"[A-Za-z_][A-Za-z0-9_$]*", sql))


def _changed(before: Schema, after: Schema) -> set[str]:
    """Lower-cased names of the tables and views added, removed or changed between two
    schemas (objects the snapshots share are the same objects: compared by identity first)."""
    found: set[str] = set()
    for mine, theirs in ((before.tables, after.tables), (before.views, after.views)):
        found |= {n.lower() for n, t in theirs.items() if mine.get(n) is not t and mine.get(n) != t}
        found |= {n.lower() for n in mine if n not in theirs}
    return found


def fire_targets(before: Schema | None, after: Schema | None) -> list[str]:
    """Names of the triggers ``triggers_fire[version]`` fires, given the schemas ``before`` and
    ``after`` the migration: those it creates or changes, and those on or naming a table or view
    it adds, removes or changes. Empty when either schema is unknown (never reached)."""
    if before is None or after is None or before is after:
        return []
    changed = _changed(before, after)
    return sorted(
        name
        for name, trigger in after.triggers.items()
        if (before.triggers.get(name) is not trigger and before.triggers.get(name) != trigger)
        or trigger.table.lower() in changed
        or (changed and _words(trigger.sql) & changed)
    )


def _refused(exc: BaseException) -> bool:
    """True when ``exc`` (or the driver error it comes from) is SQLite refusing a statement as
    an SQL error (:data:`SQLITE_ERROR`), not a constraint failing; a driver that gives no result
    code counts as refusing."""
    cause = exc if isinstance(exc, drivers.Error) else exc.__cause__
    if not isinstance(cause, drivers.Error):
        return False
    code = drivers.error_code(cause)
    return code is None or code & 0xFF == SQLITE_ERROR


def _fire(conn: sqlite3.Connection, synth: RowSynth, trigger: Trigger, table: Table) -> str | None:
    """Fire ``trigger`` once on a new row of ``table``; the failing statement and SQLite's
    message when SQLite refuses it (the caller knows the trigger names something missing), else
    ``None``."""
    if not trigger.event:
        return None
    try:
        row = synth.insert(table.name)
    except AcodbError as exc:
        return f"INSERT INTO {table.name} failed: {exc}" if _refused(exc) else None
    if trigger.event == "INSERT":
        return None
    try:
        where, params = synth.where(table.name, row)
    except AcodbError:
        return None
    if trigger.event == "DELETE":
        statement, values = f"DELETE FROM {quote(table.name)} WHERE {where}", params
    else:
        listed = [c for c in (table.column(n) for n in trigger.update_of) if c]
        settable = [c for c in table.columns if c.insertable]
        column = (listed or [c for c in settable if not c.pk] or settable)[0]
        statement = f"UPDATE {quote(table.name)} SET {quote(column.name)} = ? WHERE {where}"
        try:
            value = synth.other_value(table.name, column.name, row.get(column.name))
        except AcodbError:
            value = row.get(column.name)
        values = [value, *params]
    try:
        conn.execute(statement, values)
    except drivers.Error as exc:
        if _refused(exc):
            return f"{statement.split(' WHERE ')[0]} failed: {exc}"
    return None


def probe_triggers_fire(walk: Walk, conn: sqlite3.Connection, before: Step, step: Step) -> None:
    """A :data:`~.walk.Probe`: fires each trigger of :func:`fire_targets` that names something
    the schema lacks, on the state after this step, inside a savepoint rolled back; what SQLite
    refuses is kept in ``walk.memo`` for ``triggers_fire``."""
    if step.migration is None:
        return
    schema = step.schema
    targets = [
        (name, schema.triggers[name], table)
        for name in fire_targets(before.schema, schema)
        if (table := schema.table(schema.triggers[name].table)) is not None
        and not table.virtual
        and schema.dangling(schema.triggers[name])
    ]
    broken: list[str] = []
    if targets:
        conn.execute("SAVEPOINT acodb_probe")
        try:
            synth = RowSynth(conn, schema, walk.seed, reuse_parents=True, values=walk.values)
            for name, trigger, table in targets:
                conn.execute("SAVEPOINT acodb_fire")
                try:
                    problem = _fire(conn, synth, trigger, table)
                finally:
                    conn.execute("ROLLBACK TO acodb_fire")
                    conn.execute("RELEASE acodb_fire")
                if problem:
                    broken.append(f"trigger {name} on {trigger.table}: {problem}")
        finally:
            conn.execute("ROLLBACK TO acodb_probe")
            conn.execute("RELEASE acodb_probe")
    walk.memo[("triggers_fire", step.migration.version)] = broken


def check_triggers_fire(walk: Walk, version: int) -> None:
    """Each trigger of :func:`fire_targets` that names a table or column the schema after
    ``version`` lacks (:meth:`Schema.dangling <pytest_acodb.schema.Schema.dangling>`) fires on
    a synthesised row of its table (an ``INSERT``, ``UPDATE`` of a column it watches, or
    ``DELETE``) inside a savepoint that is rolled back, on the state after ``version`` (by
    :func:`probe_triggers_fire` while the walk is there, or on a copy). Raises
    :class:`CheckFailure` for each such trigger SQLite refuses to run; triggers on views and rows
    that cannot be made are passed over."""
    subject = str(version)
    after, before = walk.after(version), walk.before(version)
    migration = walk.source.get(version)
    if after is None or before is None or migration is None:
        raise CheckSkipped(f"migration {version} was not applied; see upgrade[{version}]")
    key = ("triggers_fire", version)
    if key not in walk.memo:
        conn = walk.open(version)
        try:
            probe_triggers_fire(walk, conn, before, after)
        finally:
            conn.close()
    broken: list[str] = walk.memo[key]
    if broken:
        fail(
            "triggers_fire",
            subject,
            f"after migration {version} ({migration.path.name}) "
            "these triggers name a table or column that no longer exists: "
            + "; ".join(broken)
            + "; a rename or rebuild left them behind: drop and create them again in the "
            "migration, naming the new table and columns",
        )
