"""The seeded runs ``data_survives`` and ``round_trip`` share: migrations applied to tables with rows.

For each migration, :func:`seeded_run` restores the image the :class:`~.walk.Walk` kept from just
before it, puts :data:`ROWS` rows in every ordinary table (:meth:`RowSynth.seed_all
<pytest_acodb.synth.rows.RowSynth.seed_all>`), and applies the migration exactly as sqlx does
(:meth:`Migrator.apply <pytest_acodb.migrate.Migrator.apply>`: one transaction with foreign keys
ON, unless the file starts with ``-- no-transaction``), then reverts it on the same copy. The
result is kept on the walk, so ``data_survives`` and ``round_trip`` share one copy, one apply and
one revert per migration.

A table losing rows is a bug unless the migration deletes from it or drops it by name, or deletes
from a parent whose ``ON DELETE CASCADE`` reaches it (see :func:`on_purpose`); :func:`explain`
says why it happened. A ``DROP TABLE`` of a *parent* cascading into a child that stays is the
classic broken table rebuild: SQLite runs an implicit ``DELETE`` before dropping a table, and
``PRAGMA foreign_keys = OFF`` is a no-op inside the transaction sqlx wraps the migration in.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, replace

from ..db import driver as drivers
from ..errors import CheckSkipped, MigrateError
from ..migrate import Migration, quote
from ..migrate.sql import NO_TX_MARKER
from ..migrate.statements import Action, actions, origins
from ..schema import Schema
from ..synth.rows import RowSynth
from .walk import Walk

ROWS = 3
"""Rows put in every ordinary table before a migration runs."""

REBUILD_FIX = (
    "make `-- no-transaction` the first line of the file and run the rebuild as "
    "PRAGMA foreign_keys=OFF; BEGIN; ...; PRAGMA foreign_key_check; COMMIT; "
    "PRAGMA foreign_keys=ON (SQLite's 12-step ALTER TABLE procedure), or save the {child} rows "
    "in a temporary table and put them back in the same migration"
)


@dataclass(frozen=True)
class SeededRun:
    """Migration ``version`` applied to the state before it plus :data:`ROWS` rows per table,
    then reverted.

    ``before``: ``{table: rows}`` of every ordinary table after seeding (virtual and shadow
    tables left out); ``unseeded``: ``{table: why}`` for tables no valid row could be made for;
    ``after``: ``{table: rows}`` of the ordinary tables after the migration (``None`` when the
    apply failed or there was nothing to seed); ``error``: the :class:`MigrateError` of a failed
    apply, else ``None``; ``reverted``: ``{table: rows}`` after its down script ran on the
    result (``None`` when it was not run: no ``after``, or no down script); ``revert_error``:
    the :class:`MigrateError` of a failed revert, else ``None``. Counts cover the tables the
    migration can reach (:func:`reachable`), the only ones seeded.
    """

    before: dict[str, int]
    unseeded: dict[str, str]
    after: dict[str, int] | None
    error: MigrateError | None
    reverted: dict[str, int] | None = None
    revert_error: MigrateError | None = None


def counts(conn: sqlite3.Connection, schema: Schema, exclude: Iterable[str] = ()) -> dict[str, int]:
    """``{table: row count}`` of every ordinary table of ``schema`` (the snapshot of ``conn``)
    but ``exclude``: virtual and shadow tables are left out (:attr:`Table.ordinary
    <pytest_acodb.schema.Table.ordinary>`)."""
    skip = {n.lower() for n in exclude}
    return {
        n: conn.execute(f"SELECT count(*) FROM {quote(n)}").fetchone()[0]
        for n, t in schema.tables.items()
        if t.ordinary and n.lower() not in skip
    }


def seeded_run(walk: Walk, version: int) -> SeededRun:
    """The :class:`SeededRun` of ``version``, computed once per walk (``walk.memo``).

    Raises :class:`CheckSkipped` when the walk never reached ``version``."""
    key = ("seeded", version)
    if key in walk.memo:
        return walk.memo[key]  # type: ignore[no-any-return]
    migration = walk.source.get(version)
    before = walk.before(version)
    if migration is None or before is None or walk.after(version) is None:
        raise CheckSkipped(f"migration {version} was not applied; see upgrade[{version}]")
    conn = walk.restore(before.image)
    try:
        synth = RowSynth(conn, before.schema)
        # Only tables the migration can reach need rows; seeding all of them for every
        # migration would make the checks quadratic in the number of migrations.
        reach = reachable(before.schema, migration.sql + (migration.down_sql or ""))
        untouched = tuple(n for n in before.schema.tables if n.lower() not in reach)
        synth.seed_all(ROWS, exclude=untouched, lenient=True)
        skip = (*walk.exclude, *untouched)
        rows = counts(conn, before.schema, skip)
        run = SeededRun(rows, dict(synth.unseeded), None, None)
        if any(rows.values()):
            try:
                walk.migrator.apply(conn, migration)
            except MigrateError as exc:
                run = SeededRun(rows, run.unseeded, None, exc)
            else:
                after = walk.snapshot(conn, *_known(walk, version))
                run = SeededRun(rows, run.unseeded, counts(conn, after, skip), None)
                if migration.down_sql is not None:
                    run = _revert(walk, migration, conn, run, skip)
    finally:
        conn.close()
    walk.memo[key] = run
    return run


def _known(walk: Walk, version: int) -> tuple[Schema, ...]:
    """The schemas the walk kept just before and after ``version``: what a seeded copy most
    likely has after applying or reverting it, so its snapshot costs one read."""
    return tuple(s.schema for s in (walk.after(version), walk.before(version)) if s is not None)


_CONNECTION_STATE = re.compile(r"\b(?:PRAGMA|TEMP|TEMPORARY|ATTACH|DETACH)\b", re.I)
"""Words of a script that can change its connection beyond the database file (settings, TEMP
objects, attached databases): such an up script is reverted on a fresh copy instead."""


def _revert(
    walk: Walk,
    migration: Migration,
    conn: sqlite3.Connection,
    run: SeededRun,
    skip: tuple[str, ...],
) -> SeededRun:
    """``run`` with the outcome of reverting ``migration`` on ``conn`` (the seeded database just
    after applying it). Reverted on ``conn`` itself, unless the up script may have changed the
    connection (:data:`_CONNECTION_STATE`): then on a fresh copy of it, as ``sqlx migrate
    revert`` would run on a new connection."""
    fresh = _CONNECTION_STATE.search(migration.sql) is not None
    target = walk.restore(walk.connector.image(conn)) if fresh else conn
    try:
        walk.migrator.revert(target, migration)
        reverted = walk.snapshot(target, *_known(walk, migration.version))
        return replace(run, reverted=counts(target, reverted, skip))
    except MigrateError as exc:
        return replace(run, revert_error=exc)
    finally:
        if fresh:
            target.close()


_WORD = re.compile(r'[^\W\d][\w$]*|"(?:[^"]|"")*"|`[^`]*`|\[[^\]]*\]')
"""Identifiers (any letters, as SQLite allows) and quoted names in SQL text."""


def reachable(schema: Schema, sql: str) -> set[str]:
    """Lower-cased names of the tables whose rows ``sql`` can change: those it names, the tables
    their triggers name, and the tables that point at any of these through foreign keys
    (cascades, SET NULL, RESTRICT), transitively. Over-approximates: naming is enough."""
    tables = {n.lower(): t for n, t in schema.tables.items()}
    triggers: dict[str, list[str]] = {}
    for trigger in schema.triggers.values():
        triggers.setdefault(trigger.table.lower(), []).append(trigger.sql)

    def named(text: str) -> set[str]:
        words = {w.strip('"`[]').replace('""', '"').lower() for w in _WORD.findall(text)}
        return words & tables.keys()

    found = named(sql)
    todo = list(found)
    while todo:
        current = todo.pop()
        more = set().union(*(named(t) for t in triggers.get(current, [])))
        more |= {
            n
            for n, t in tables.items()
            if any(fk.parent.lower() == current for fk in t.foreign_keys)
        }
        for name in more - found:
            found.add(name)
            todo.append(name)
    return found


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
    pragma = next((a for a in found if a.verb == "PRAGMA" and a.name == "foreign_keys"), None)
    noted = f" (the PRAGMA foreign_keys on line {pragma.line} did nothing)" if pragma else ""
    return (
        f"{fell} while {parent} was {state} ({where}): sqlx runs each migration in a "
        "transaction with foreign keys ON, where PRAGMA foreign_keys=OFF has no effect"
        f"{noted}, so DROP TABLE {drop.name} deleted its rows first and ON DELETE CASCADE took "
        f"the {table} rows along; " + fix
    )


def lost(
    before: dict[str, int], after: dict[str, int], exempt: set[str]
) -> list[tuple[str, int, int]]:
    """``(table, was, now)`` for each table of ``before`` (``{table: rows}``) with fewer rows in
    ``after``, but the lower-cased names in ``exempt``."""
    now = {n.lower(): c for n, c in after.items()}
    return [
        (n, c, now[n.lower()])
        for n, c in before.items()
        if c and n.lower() in now and now[n.lower()] < c and n.lower() not in exempt
    ]


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
        f"hold rows ({ROWS} per table): {exc}{hint}"
    )
