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
from ..errors import AcodbError, CheckSkipped
from ..migrate import quote
from ..schema import Schema, Table, Trigger
from ..synth.rows import RowSynth, value_kind
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


def _candidates(table: Table, listed: tuple[str, ...], generated: set[str]) -> list[str]:
    """Columns to update, best first: listed in ``UPDATE OF`` (when there is a list), not a
    timestamp, not part of a key."""
    stamps = {"updated_at", "created_at"}
    fk = {c for f in table.foreign_keys for c in f.columns}
    names = (
        [c.name for c in (table.column(n) for n in listed) if c]
        if listed
        else [c.name for c in table.columns]
    )
    names = [n for n in names if n.lower() not in stamps and n not in generated]

    def rank(name: str) -> tuple[bool, bool, bool, int]:
        col = table.column(name)
        assert col is not None
        return (bool(col.pk), name in fk, value_kind(col) == "timestamp", names.index(name))

    return sorted(names, key=rank)


def check_trigger(walk: Walk, name: str) -> None:
    """The ``updated_at`` trigger ``name`` changes ``updated_at`` (and not ``created_at``) when
    another column is updated, with ``recursive_triggers`` OFF and ON, without recursing."""
    require_complete(walk)
    for mode in ("OFF", "ON"):
        with walk.final_copy() as conn:
            was = conn.execute("PRAGMA recursive_triggers").fetchone()[0]
            conn.execute(f"PRAGMA recursive_triggers = {mode}")
            try:
                _fire(conn, walk.steps[-1].schema, name, mode)
            finally:
                conn.execute(f"PRAGMA recursive_triggers = {was}")


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


def _fire(conn: sqlite3.Connection, schema: Schema, name: str, mode: str) -> None:
    trigger = schema.triggers[name]
    table = schema.tables[trigger.table]
    updated = table.column("updated_at")
    created = table.column("created_at")
    assert updated is not None
    synth = RowSynth(conn, schema)
    stamps = {updated.name: SENTINEL} | ({created.name: SENTINEL} if created else {})
    try:
        row = synth.insert(table.name, **stamps)
    except AcodbError as exc:
        fail("trigger", name, f"cannot insert a {table.name} row to fire {name}: {exc}")
    if row.get(updated.name) != SENTINEL:
        raise CheckSkipped(
            f"an INSERT trigger rewrites {table.name}.{updated.name}, so {name} "
            "cannot be observed on its own"
        )
    for column in _candidates(table, trigger.update_of, synth.generated(table.name)):
        try:
            value = synth.other_value(table.name, column, row.get(column))
        except AcodbError:
            continue
        break
    else:
        raise CheckSkipped(f"{table.name} has no column but the timestamps that {name} fires on")
    where, params = synth.where(table.name, row)
    statement = f"UPDATE {quote(table.name)} SET {quote(column)} = ? WHERE {where}"
    shown = f"UPDATE {table.name} SET {column} = {value!r} (recursive_triggers {mode})"
    try:
        conn.execute(statement, [value, *params])
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
            f"{shown} it is still {got[0]!r}",
        )
    if created and got[1] != SENTINEL:
        fail(
            "trigger",
            name,
            f"trigger {name} changed {table.name}.{created.name} from "
            f"{SENTINEL!r} to {got[1]!r} on {shown}; it must set only {updated.name}",
        )
