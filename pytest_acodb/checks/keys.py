"""The ``cascade`` and ``constraint`` checks: foreign keys and CHECK value lists behave as declared.

Both run on a copy of the final state (:meth:`Walk.final_copy
<pytest_acodb.checks.walk.Walk.final_copy>`) with rows made by :class:`~pytest_acodb.rows.RowSynth`.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from ..db import driver as drivers
from ..errors import AcodbError, CheckSkipped, SynthesisError
from ..migrate import quote
from ..schema import ForeignKey, Schema, Table
from ..synth.rows import RowSynth, value_lists
from ..synth.rules import value_list_check
from ..synth.values import ValueProviders
from .base import fail, foreign_keys, require_complete
from .walk import Walk


def _locate(
    conn: sqlite3.Connection, synth: RowSynth, table: str, row: dict[str, Any]
) -> tuple[str, list[Any]]:
    """A WHERE clause for ``row`` that survives changes to its key columns (rowid when there is
    one)."""
    where, params = synth.where(table, row)
    if not synth.table(table).has_rowid:
        return where, params
    found = conn.execute(f"SELECT rowid FROM {quote(table)} WHERE {where}", params).fetchone()
    return ("rowid = ?", [found[0]]) if found else (where, params)


def _missing_key(conn: sqlite3.Connection, parent: Table, targets: tuple[str, ...]) -> list[Any]:
    """Values for ``targets`` that no ``parent`` row has (above the current maximum)."""
    values: list[Any] = []
    for column in targets:
        top = conn.execute(f"SELECT max({quote(column)}) FROM {quote(parent.name)}").fetchone()[0]
        if isinstance(top, int | float):
            values.append(top + 1000)
        elif isinstance(top, bytes):
            values.append(top + b"~missing")
        else:
            values.append(f"{top or ''}~missing")
    return values


def check_cascade(walk: Walk, subject: str) -> None:
    """The foreign key ``subject`` (from :func:`foreign_keys`) rejects orphans and does what its
    ``ON DELETE`` says when the parent row is deleted."""
    require_complete(walk)
    schema = walk.steps[-1].schema
    child_name, fk = foreign_keys(schema)[subject]
    parent = schema.tables.get(fk.parent) or next(
        (t for n, t in schema.tables.items() if n.lower() == fk.parent.lower()), None
    )
    cols = ",".join(fk.columns)
    if parent is None:
        fail(
            "cascade",
            subject,
            f"{child_name}.{cols} references table {fk.parent}, which does "
            f"not exist; fix the REFERENCES clause (tables: {', '.join(schema.tables)})",
        )
    targets = fk.parent_columns or parent.primary_key
    absent = [c for c in targets if parent.column(c) is None]
    if not targets or absent:
        fail(
            "cascade",
            subject,
            f"{child_name}.{cols} references {parent.name}"
            f"({','.join(targets) or 'its primary key'}), which has no such column(s)",
        )
    with walk.final_copy() as conn:
        _exercise(conn, schema, subject, child_name, fk, parent, targets, walk.seed, walk.values)


def _exercise(
    conn: sqlite3.Connection,
    schema: Schema,
    subject: str,
    child: str,
    fk: ForeignKey,
    parent: Table,
    targets: tuple[str, ...],
    seed: int = 0,
    values: ValueProviders | None = None,
) -> None:
    synth = RowSynth(conn, schema, seed, values=values)
    try:
        prow = synth.insert(parent.name)
        crow = synth.insert(child, **{c: prow[p] for c, p in zip(fk.columns, targets, strict=True)})
    except SynthesisError as exc:
        raise CheckSkipped(
            f"cannot make a {parent.name} row and a {child} row pointing at it to exercise "
            f"the key: {exc.constraint} of {exc.table} refuses every row the kit can make; "
            f"supply values for {exc.table} (table.column = value) to check it"
        ) from None
    except AcodbError as exc:
        fail(
            "cascade",
            subject,
            f"cannot insert a {parent.name} row and a {child} row pointing at it: {exc}",
        )
    orphan = dict(zip(fk.columns, _missing_key(conn, parent, targets), strict=True))
    try:
        synth.insert(child, **orphan)
    except AcodbError:
        pass
    else:
        fail(
            "cascade",
            subject,
            f"a {child} row pointing at a missing {parent.name} row was accepted: the foreign "
            "key does not hold (are foreign keys declared with REFERENCES?)",
        )
    where, params = _locate(conn, synth, child, crow)
    action = fk.on_delete.upper()
    error: Exception | None = None
    try:
        conn.execute(
            f"DELETE FROM {quote(parent.name)} WHERE "
            + " AND ".join(f"{quote(p)} = ?" for p in targets),
            [prow[p] for p in targets],
        )
    except drivers.Error as exc:
        error = exc
    if error is not None and _corrupt(error):
        raise CheckSkipped(
            f"deleting a {parent.name} row makes a virtual table's index report corruption "
            f"({error}): a trigger removes from a full-text or R-tree index a row it never "
            f"held (the kit's rows were made without the trigger that indexes them); the key "
            f"{subject} cannot be exercised on them"
        )
    now = conn.execute(
        f"SELECT {', '.join(quote(c) for c in fk.columns)} FROM {quote(child)} WHERE {where}",
        params,
    ).fetchone()
    shown = f"ON DELETE {action}: deleting a {parent.name} row that a {child} row points at"
    if action in ("NO ACTION", "RESTRICT"):
        if error is None:
            fail(
                "cascade",
                subject,
                f"{shown} was accepted (the {child} row "
                f"{'is gone' if now is None else 'now dangles'})",
            )
        return
    if error is not None:
        notnull = [c for c in fk.columns if (col := schema.tables[child].column(c)) and col.notnull]
        hint = (
            f" ({', '.join(notnull)} is NOT NULL, so it cannot be set to NULL)"
            if action == "SET NULL" and notnull
            else ""
        )
        fail("cascade", subject, f"{shown} failed: {error}{hint}")
    if action == "CASCADE" and now is not None:
        fail("cascade", subject, f"{shown} left the {child} row in place")
    expected = (
        _defaults(conn, schema.tables[child], fk)
        if action == "SET DEFAULT"
        else [None] * len(fk.columns)
    )
    if action in ("SET NULL", "SET DEFAULT") and (now is None or list(now) != expected):
        fail(
            "cascade",
            subject,
            f"{shown} left {cols_of(fk)} = "
            f"{None if now is None else list(now)!r}, expected {expected!r}",
        )


SQLITE_CORRUPT = 11
"""SQLite's primary result code for a corrupt database, which virtual tables (FTS5's
``SQLITE_CORRUPT_VTAB``) report when asked to remove an entry they never held."""


def _corrupt(error: BaseException) -> bool:
    code = drivers.error_code(error)
    return code is not None and code & 0xFF == SQLITE_CORRUPT


def cols_of(fk: ForeignKey) -> str:
    """``a, b``: the child columns of ``fk``."""
    return ", ".join(fk.columns)


def _defaults(conn: sqlite3.Connection, table: Table, fk: ForeignKey) -> list[Any]:
    out = []
    for name in fk.columns:
        col = table.column(name)
        default = col.default if col else None
        out.append(None if default is None else conn.execute(f"SELECT {default}").fetchone()[0])
    return out


def value_list_columns(schema: Schema) -> list[str]:
    """``table.column`` for every column a CHECK limits to a list of literals."""
    return [f"{t.name}.{c}" for t in schema.tables.values() for c in value_lists(t)]


def _value_lists(walk: Walk) -> dict[str, tuple[Table, str, tuple[Any, ...]]]:
    """``{table.column: (table, column, values)}`` for the value lists of the final schema of
    ``walk``, read once per walk (``walk.memo``): reading them parses every table's CHECKs."""
    key = ("value_lists", 0)
    if key not in walk.memo:
        found: dict[str, tuple[Table, str, tuple[Any, ...]]] = {}
        for table in walk.steps[-1].schema.tables.values():
            for column, listed in value_lists(table).items():
                found.setdefault(f"{table.name}.{column}", (table, column, listed))
        walk.memo[key] = found
    return walk.memo[key]  # type: ignore[no-any-return]


def check_constraint(walk: Walk, subject: str) -> None:
    """Every value listed by the CHECK of ``subject`` (``table.column``) is accepted, and one
    outside the list is rejected: tried on a new row, or, when the table has no room for one
    (a singleton) or no row can be made, by updating a row it holds. Skipped, naming the
    constraint or trigger, when the value cannot be tried at all."""
    require_complete(walk)
    schema = walk.steps[-1].schema
    table, column, listed = _value_lists(walk)[subject]
    own = value_list_check(table, column)
    with walk.final_copy() as conn:
        synth = RowSynth(conn, schema, walk.seed, values=walk.values)
        for value in dict.fromkeys(listed):
            verdict = _try(conn, synth, table, column, value, own)
            if isinstance(verdict, str):
                raise CheckSkipped(
                    f"{subject}: cannot try the listed value on a row: {verdict}; supply values "
                    f"for {table.name} (table.column = value) to check it"
                )
            if not verdict:
                fail(
                    "constraint",
                    subject,
                    f"{subject}: the listed value {value!r} is rejected by "
                    f"{'CHECK (' + ' '.join(own.split()) + ')' if own else 'the CHECK'}: a "
                    "condition of it excludes what its list allows; drop the value from the "
                    "list or fix the condition",
                )
        numbers = [v for v in listed if isinstance(v, int | float)]
        outside: Any = (
            max(numbers) + 1 if numbers and len(numbers) == len(listed) else "acodb-not-listed"
        )
        verdict = _try(conn, synth, table, column, outside, own)
        if verdict is True:
            fail(
                "constraint",
                subject,
                f"{subject}: {outside!r}, which is not in the list "
                f"{list(listed)}, was accepted; the CHECK does not limit {column} to its list",
            )


def _try(
    conn: sqlite3.Connection,
    synth: RowSynth,
    table: Table,
    column: str,
    value: Any,
    own: str | None,
) -> bool | str:
    """Whether ``table`` takes ``value`` in ``column``: ``True`` (a row holds it), ``False`` (the
    column's own CHECK ``own`` refuses it), or why it cannot be told (what refuses every row)."""
    try:
        synth.insert(table.name, **{column: value})
    except SynthesisError as exc:
        if own is not None and exc.check == own:
            return False
        held = _a_row(conn, table)
        if held is None:
            return f"{exc.constraint} of {exc.table} refuses every row the kit can make"
        return _update(conn, synth, table, column, value, own, held)
    return True


def _a_row(conn: sqlite3.Connection, table: Table) -> tuple[str, list[Any]] | None:
    """A WHERE clause selecting one row ``table`` holds, or ``None`` when it holds none."""
    keys = ["rowid"] if table.has_rowid else list(table.primary_key)
    row = conn.execute(
        f"SELECT {', '.join(quote(k) if k != 'rowid' else k for k in keys)} "
        f"FROM {quote(table.name)} LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    where = " AND ".join(f"{quote(k) if k != 'rowid' else k} = ?" for k in keys)
    return where, list(row)


def _update(
    conn: sqlite3.Connection,
    synth: RowSynth,
    table: Table,
    column: str,
    value: Any,
    own: str | None,
    held: tuple[str, list[Any]],
) -> bool | str:
    """:func:`_try` by updating the row ``held`` selects, in a savepoint rolled back."""
    where, params = held
    conn.execute("SAVEPOINT acodb_value")
    try:
        conn.execute(
            f"UPDATE {quote(table.name)} SET {quote(column)} = ? WHERE {where}", [value, *params]
        )
    except drivers.IntegrityError:
        failing = synth.failing_checks(table.name, where, params, {column: value})
        if own is not None and own in failing:
            return False
        return f"updating a {table.name} row is refused by " + (
            ", ".join(failing) or "a constraint or trigger of the table"
        )
    except drivers.Error as exc:
        return f"updating a {table.name} row fails ({exc})"
    finally:
        conn.execute("ROLLBACK TO acodb_value")
        conn.execute("RELEASE acodb_value")
    return True
