"""The ``data_survives`` check: a migration keeps the rows, and the values, its history holds.

Each migration is applied to the database of the seeded history (:mod:`~.seeding`: rows
carried forward through the migrations, as production's are); it fails when it cannot run on
those rows, when a table loses rows the migration does not remove on purpose
(:func:`~.seeding.lost`, explained by :func:`~.seeding.explain`), or when rows that keep their
primary key come out with other values in columns the migration never writes by name.
"""

from __future__ import annotations

import re

from ..errors import CheckSkipped
from ..migrate.statements import actions
from .base import fail
from .seeding import Run, explain, failed_with_rows, lost, on_purpose, seeded_run
from .walk import Walk, stood_in


def check_data_survives(walk: Walk, version: int) -> None:
    """Applying ``version`` to the history's rows succeeds, removes no row it does not remove
    on purpose (see :func:`~.seeding.on_purpose`) and changes no value it does not write by name
    (see :func:`~.seeding.written`). Raises :class:`CheckFailure` naming the tables, the counts
    and the cause (never a value); :class:`CheckSkipped` when the walk never reached
    ``version``."""
    subject = str(version)
    run = seeded_run(walk, version)
    migration = walk.source.get(version)
    before, after = walk.before(version), walk.after(version)
    assert migration is not None and before is not None and after is not None
    reason = stood_in(walk, version)
    if reason:  # the rows it wrote hold the stand-in's NULLs: nothing to judge them by
        raise CheckSkipped(reason)
    if run.error is not None:
        fail(
            "data_survives",
            subject,
            failed_with_rows(run.error, version, "applying", before.schema),
        )
    if run.after is None:
        return
    found = actions(migration.sql)
    exempt = on_purpose([found], before.schema)
    losses = lost(run.before, run.after, found, before.schema, exempt)
    if losses:
        fail(
            "data_survives",
            subject,
            f"migration {version}: "
            + "; ".join(
                explain(
                    t, was, now, migration.sql, migration.path.name, before.schema, after.schema
                )
                for t, was, now in losses
            ),
        )
    if run.changed:
        _changed(run, migration.path.name, version, migration.sql)
    if run.unseeded:
        table, why = next(iter(run.unseeded.items()))
        raise CheckSkipped(
            f"cannot judge migration {version} on data: {table}, which it changes, holds no "
            f"row, as the kit cannot make one ({why})"
        )


def _changed(run: Run, file: str, version: int, sql: str) -> None:
    """Fail for the values ``run`` changed without writing them by name."""
    star = re.search(r"\bINSERT\b[^;]*?\bSELECT\s+\*", sql, re.I | re.S)
    hint = (
        "an INSERT ... SELECT * copies by position, so columns listed in another order (ADD "
        "COLUMN puts them last) land in each other's places: name the columns on both sides"
        if star
        else "look for an INSERT ... SELECT whose select list puts another expression (or a "
        "column out of order) where the old column belongs, and copy the column itself (or "
        "write it with UPDATE ... SET on purpose)"
    )
    left_out: dict[str, list[str]] = {}  # the INSERT that leaves columns out -> those columns
    for c in run.changed:
        where = _left_out(sql, c.table, c.column)
        if where is not None:
            left_out.setdefault(where, []).append(c.column)
    if left_out:
        hint = "; ".join(
            f"the INSERT ... SELECT into {where} leaves {', '.join(columns)} out of its column "
            "list, so every copied row takes the column's default: add "
            f"{'it' if len(columns) == 1 else 'them'} to both lists"
            for where, columns in left_out.items()
        )
    if run.changed:
        fail(
            "data_survives",
            str(version),
            f"migration {version} ({file}) changes values it never writes by "
            "name: "
            + "; ".join(
                f"{c.table}.{c.column} differs in {c.rows} of the {c.of} row(s) that kept their key"
                for c in run.changed
            )
            + "; every row is still there but the data is not: "
            + hint,
        )


def _left_out(sql: str, table: str, column: str) -> str | None:
    """``<target> (line N)``: the ``INSERT ... SELECT`` of ``sql`` that rebuilds ``table`` (into
    it, or into the copy later renamed to it) and lists its columns but not ``column``, else
    ``None``."""
    from ..migrate.sql import split_statements
    from ..schema.parse import insert_columns

    targets = {table.lower()} | {
        a.name.lower()
        for a in actions(sql)
        if a.verb == "ALTER" and a.new_name.lower() == table.lower()
    }
    for statement in split_statements(sql):
        if "INSERT" not in statement.text.upper():
            continue
        listed = insert_columns(statement.text)
        if listed and listed[0] in targets and column.lower() not in map(str.lower, listed[1]):
            return f"{listed[0]} (line {statement.line})"
    return None
