"""The ``trigger`` check: triggers that keep ``updated_at`` current really do, and only that.

For each trigger fired by ``UPDATE`` on a table with an ``updated_at`` column whose SQL mentions
``updated_at``: insert a row with ``updated_at`` (and ``created_at``) set to :data:`SENTINEL`,
update one other column, then ``updated_at`` must have moved off the sentinel and ``created_at``
must not have. Run with ``PRAGMA recursive_triggers`` OFF and ON. No sleeping, no clock: the
sentinel is in the year 2000.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from ..db import driver as drivers
from ..errors import AcodbError, CheckSkipped, SynthesisError
from ..migrate import quote
from ..migrate.statements import actions, named
from ..schema import Schema, Table, Trigger
from ..synth.rows import RowSynth
from .base import fail, require_complete
from .walk import Walk

SENTINEL = "2000-01-01T00:00:00.000Z"
"""The timestamp a row starts with; any real ``now`` differs from it."""


def updated_at_triggers(schema: Schema) -> list[Trigger]:
    """Triggers fired by ``UPDATE`` on a table with an ``updated_at`` column whose SQL mentions
    ``updated_at``, sorted by name."""
    found = []
    for trigger in schema.triggers.values():
        table = schema.tables.get(trigger.table)
        if (
            table is not None
            and table.column("updated_at") is not None
            and "updated_at" in trigger.sql.lower()
            and trigger.event == "UPDATE"
        ):
            found.append(trigger)
    return sorted(found, key=lambda t: t.name)


STAMPS = ("updated_at", "created_at")
"""The timestamp columns the check watches; updating them is not what fires the trigger."""


def watched(table: Table, trigger: Trigger) -> list[str]:
    """The columns whose update must move ``updated_at``: those of ``UPDATE OF`` (when the
    trigger lists some), else every column an application updates (not a timestamp, not a key
    column, not generated)."""
    stamps = set(STAMPS)
    if trigger.update_of:
        listed = [c for c in (table.column(n) for n in trigger.update_of) if c is not None]
        return [c.name for c in listed if c.name.lower() not in stamps and c.insertable]
    return [
        c.name for c in table.columns if c.insertable and not c.pk and c.name.lower() not in stamps
    ]


def defined_at(walk: Walk, name: str) -> int | None:
    """The version of the last applied migration whose script creates trigger ``name`` (a
    trigger created again, even unchanged, was written with the table as it was then)."""
    found = None
    for step in walk.steps:
        migration = step.migration
        if migration is not None and name.lower() in named(
            actions(migration.sql), "CREATE", "TRIGGER"
        ):
            found = migration.version
    return found


def check_trigger(walk: Walk, name: str) -> None:
    """The ``updated_at`` trigger ``name`` changes ``updated_at`` (and not ``created_at``) when
    any column it should watch (:func:`watched`) is updated, each on its own, with
    ``recursive_triggers`` OFF and ON, without recursing. Fails when it fires only on ``UPDATE OF``
    timestamp columns (no real update fires it), and when a column a later migration added is
    missing from its ``UPDATE OF`` list."""
    require_complete(walk)
    schema = walk.steps[-1].schema
    trigger = schema.triggers[name]
    table = schema.tables[trigger.table]
    columns = watched(table, trigger)
    if trigger.update_of and not columns:
        fail(
            "trigger",
            name,
            f"trigger {name} fires only on UPDATE OF {', '.join(trigger.update_of)}, which an "
            f"update of any other column of {table.name} never touches, so updated_at keeps its "
            f"old value on every real update; fire it on UPDATE OF the columns it should watch, "
            "or on every UPDATE with WHEN NEW.updated_at IS OLD.updated_at",
        )
    if trigger.update_of:
        since = defined_at(walk, name)
        listed = {n.lower() for n in trigger.update_of}
        forgotten = [
            (c.name, added)
            for c in table.columns
            if c.insertable
            and not c.pk
            and c.name.lower() not in listed
            and c.name.lower() not in STAMPS
            and (added := walk.column_added_by(table.name, c.name, since)) is not None
        ]
        if forgotten:
            fail(
                "trigger",
                name,
                f"trigger {name} fires on UPDATE OF {', '.join(trigger.update_of)}, but "
                + ", ".join(f"{table.name}.{c} (added by migration {v})" for c, v in forgotten)
                + " came later and is not in the list, so updating it leaves updated_at as "
                "it was; recreate the trigger with the new column(s) in UPDATE OF in the "
                "migration that adds them",
            )
    if not columns:
        raise CheckSkipped(f"{table.name} has no column but the timestamps that {name} fires on")
    for mode in ("OFF", "ON"):
        with walk.final_copy() as conn:
            was = conn.execute("PRAGMA recursive_triggers").fetchone()[0]
            conn.execute(f"PRAGMA recursive_triggers = {mode}")
            try:
                synth = RowSynth(conn, schema, walk.seed, values=walk.values)
                tried = [c for c in columns if _fire(conn, synth, schema, name, c, mode)]
            finally:
                conn.execute(f"PRAGMA recursive_triggers = {was}")
        if not tried:
            raise CheckSkipped(
                f"no valid value could be found for any column {name} watches "
                f"({', '.join(columns)}); supply values for {table.name} to check it"
            )


def _passes_without_recursion(conn: sqlite3.Connection, statement: str, params: list[Any]) -> bool:
    """True when ``statement``, which just failed with ``recursive_triggers`` ON, succeeds with it
    OFF: the failure comes from triggers firing themselves. Tried in a savepoint rolled back."""
    conn.execute("PRAGMA recursive_triggers = OFF")
    conn.execute("SAVEPOINT acodb_recursion")
    try:
        conn.execute(statement, params)
    except drivers.Error:
        return False
    else:
        return True
    finally:
        conn.execute("ROLLBACK TO acodb_recursion")
        conn.execute("RELEASE acodb_recursion")
        conn.execute("PRAGMA recursive_triggers = ON")


def _fire(
    conn: sqlite3.Connection,
    synth: RowSynth,
    schema: Schema,
    name: str,
    column: str,
    mode: str,
) -> bool:
    """Insert a row with both timestamps at :data:`SENTINEL`, update ``column`` alone, and fail
    unless ``updated_at`` moved and ``created_at`` did not. Returns False when no other valid
    value of ``column`` could be found (nothing was tried)."""
    trigger = schema.triggers[name]
    table = schema.tables[trigger.table]
    updated = table.column("updated_at")
    created = table.column("created_at")
    assert updated is not None
    stamps = {updated.name: SENTINEL} | ({created.name: SENTINEL} if created else {})
    try:
        row = synth.insert(table.name, **stamps)
    except SynthesisError as exc:
        raise CheckSkipped(
            f"cannot make a {table.name} row to fire {name}: {exc.constraint} refuses every "
            f"row the kit can make; supply values for {table.name} to check it"
        ) from None
    except AcodbError as exc:
        fail("trigger", name, f"cannot insert a {table.name} row to fire {name}: {exc}")
    if row.get(updated.name) != SENTINEL:
        raise CheckSkipped(
            f"an INSERT trigger rewrites {table.name}.{updated.name}, so {name} "
            "cannot be observed on its own"
        )
    try:
        value = synth.other_value(table.name, column, row.get(column))
    except AcodbError:
        return False
    where, params = synth.where(table.name, row)
    statement = f"UPDATE {quote(table.name)} SET {quote(column)} = ? WHERE {where}"
    shown = f"UPDATE {table.name} SET {column} = ? (recursive_triggers {mode})"
    try:
        conn.execute(statement, [value, *params])
    except drivers.IntegrityError:
        return False  # the new value breaks a constraint of the table: nothing to observe
    except drivers.Error as exc:
        if mode == "ON" and _passes_without_recursion(conn, statement, [value, *params]):
            fail(
                "trigger",
                name,
                f"trigger {name} recurses: {shown} fails with '{exc}'; fire it "
                f"only on UPDATE OF the other columns, or add WHEN NEW.{updated.name} IS "
                f"OLD.{updated.name}",
            )
        fail("trigger", name, f"{shown} failed with trigger {name} in place: {exc}")
    if column in table.primary_key:
        where, params = synth.where(table.name, {**row, column: value})
    got = conn.execute(
        f"SELECT {quote(updated.name)}, {quote(created.name) if created else 'NULL'} "
        f"FROM {quote(table.name)} WHERE {where}",
        params,
    ).fetchone()
    if got is None:
        fail("trigger", name, f"after {shown} the row is gone")
    if got[0] is None or got[0] == SENTINEL:
        fail(
            "trigger",
            name,
            f"trigger {name} did not set {table.name}.{updated.name}: after "
            f"{shown} it is still {'NULL' if got[0] is None else 'the value the row was made with'}",
        )
    if created and got[1] != SENTINEL:
        fail(
            "trigger",
            name,
            f"trigger {name} changed {table.name}.{created.name} on {shown}; it must set only "
            f"{updated.name}",
        )
    return True
