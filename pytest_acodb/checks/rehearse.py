"""The ``rehearse`` check: a pending migration applied to a copy of a real database.

One check per migration the database named by ``--acodb-database`` has not applied yet (see
:mod:`pytest_acodb.migrate.rehearse`): it fails when the migration fails on the real rows
(naming the statement and how many rows break it), when a table loses rows the migration does
not delete or drop on purpose, or when surviving rows hold other values in a column the
migration never writes by name. A migration that rehearses cleanly passes: pending is what a
pre-deploy gate expects. Messages carry counts, never row values.
"""

from __future__ import annotations

from ..errors import CheckSkipped
from ..migrate.migrator import format_elapsed
from ..migrate.rehearse import Rehearsal, RehearsedStep
from ..migrate.statements import actions
from .base import fail
from .seeding import explain, lost, on_purpose


def step_of(rehearsal: Rehearsal, version: int) -> RehearsedStep:
    """The rehearsed step of ``version`` (rehearsing first, once). Raises
    :class:`~pytest_acodb.errors.CheckSkipped` when the database cannot be migrated as it is,
    or an earlier pending migration failed first."""
    if rehearsal.blocked is not None:
        raise CheckSkipped(
            f"the database cannot be migrated as it is ({rehearsal.blocked}); see its "
            "database[...] item"
        )
    steps = rehearsal.run()
    found = next((s for s in steps if s.migration.version == version), None)
    if found is None:
        failed = steps[-1].migration.version if steps else version
        raise CheckSkipped(f"not reached: migration {failed} failed first on this database")
    return found


def check_rehearsal(rehearsal: Rehearsal, version: int) -> None:
    """Migration ``version``, pending on the rehearsal's database, applies to a copy of it
    without failing, losing rows it does not remove on purpose, or changing values of columns
    it does not write by name."""
    step = step_of(rehearsal, version)
    subject = str(version)
    migration = step.migration
    where = f"on a copy of {rehearsal.url}"
    if step.error is not None:
        broken = (
            f" ({step.broken_rows} row(s) of this database break it)" if step.broken_rows else ""
        )
        fail("rehearse", subject, f"{where}, migration {version} fails{broken}: {step.error}")
    assert step.after is not None
    before = {t: r.before for t, r in step.rows.items() if r.before is not None}
    after = {t: r.after for t, r in step.rows.items() if r.after is not None}
    found = actions(migration.sql)
    exempt = on_purpose([found], step.before)
    problems = [
        explain(t, was, now, migration.sql, migration.path.name, step.before, step.after)
        for t, was, now in lost(before, after, found, step.before, exempt)
    ]
    problems += [
        f"{table}.{column} holds another value in {rows} row(s) that kept their key, though "
        f"{migration.path.name} never writes {column} by name (an INSERT ... SELECT of a table "
        "rebuild that writes a constant or NULL in its place wipes the column)"
        for (table, column), rows in step.changed_values.items()
    ]
    if problems:
        fail("rehearse", subject, f"{where}, migration {version}: " + "; ".join(problems))


def summary(step: RehearsedStep) -> str:
    """One line about a rehearsed step for the report: its time and the tables whose row
    counts changed (``users: 100 -> 98``)."""
    if step.elapsed_ns is None:
        return f"migration {step.migration.version} failed on this database"
    moved = [
        f"{t}: {'-' if r.before is None else r.before} -> {'-' if r.after is None else r.after}"
        for t, r in step.rows.items()
        if r.before != r.after
    ]
    tables = "; ".join(moved) if moved else "no table's row count changed"
    return (
        f"migration {step.migration.version} took {format_elapsed(step.elapsed_ns)} on this "
        f"data, wrote {step.written} row(s) (its bookkeeping row included); {tables}"
    )
