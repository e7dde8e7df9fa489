"""Checks of the migration files themselves: ``source``, ``upgrade``, ``round_trip``, ``no_trace``.

Each function takes a :class:`~pytest_acodb.checks.walk.Walk` (or a source), returns ``None`` when
the check holds, raises :class:`~pytest_acodb.errors.CheckFailure` saying what differs, or
:class:`~pytest_acodb.errors.CheckSkipped` when it does not apply.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import NoReturn

from ..errors import CheckFailure, CheckSkipped, CheckWarning, MigrateError
from ..migrate import MigrationSource
from ..migrate.statements import actions
from ..schema import Change
from ..schema.diff import loosened
from .base import fail
from .seeding import (
    explain,
    failed_with_rows,
    lost,
    on_purpose,
    reverted,
    reverts_when_empty,
    seeded_run,
)
from .walk import Walk, stood_in


def check_source(
    source: MigrationSource, listed: Mapping[str, Collection[int]] | None = None
) -> None:
    """Fail for what sqlx refuses or silently ignores: versions several files claim (left out of
    every other check, which still runs on the rest), down scripts with no up file, names that
    look like migrations but do not parse as ``<VERSION>_<DESCRIPTION>.sql``, and a directory with
    no migration at all (a gate that checks nothing must not pass). ``listed``: ``{setting:
    versions}`` the settings name (``acodb_skip_versions``, ``acodb_irreversible``); a version
    there that is no migration of the directory fails too (a typo would silently check more,
    or less, than meant)."""
    from ..errors import DuplicateVersionError

    subject = source.directory.name
    problems = []
    if source.duplicates:
        taken = frozenset(m.version for m in source) | frozenset(source.duplicates)
        clash = DuplicateVersionError(source.duplicates, taken)
        left_out = sorted(p.name for ps in source.duplicates.values() for p in ps)
        rest = "the other checks ran on the rest" if len(source) else "no other file is left"
        problems.append(
            f"{clash} (sqlx refuses the directory; {', '.join(left_out)} were left out of the "
            f"other checks; {rest})"
        )
    problems += [
        f"{p.name} is a down script with no matching up migration; sqlx ignores it: add the up "
        "file or delete it"
        for p in source.orphan_downs
    ] + [
        f"{p.name} looks like a migration but sqlx ignores it: name it "
        "<VERSION>_<DESCRIPTION>.sql (e.g. 20250115000001_create_tasks.sql)"
        for p in source.ignored
    ]
    known = {m.version for m in source} | set(source.duplicates)
    for setting, versions in (listed or {}).items():
        unknown = sorted(set(versions) - known)
        if unknown:
            problems.append(
                f"{setting} lists {', '.join(map(str, unknown))}, which "
                f"{'is no migration' if len(unknown) == 1 else 'are no migrations'} of this "
                "directory: fix the number or remove it"
            )
    if problems:
        fail("source", subject, f"{source.directory}: " + "; ".join(problems))
    if not source.migrations:
        # A gate that checks nothing must not pass: an unset variable in CI points here.
        fail(
            "source",
            subject,
            f"{source.directory} holds no migrations (no <VERSION>_<DESCRIPTION>.sql file), so "
            "nothing was checked; point the checks at the directory that holds your migrations",
        )


def check_upgrade(walk: Walk, version: int) -> None:
    """Migration ``version`` applies on top of the previous ones, and afterwards
    ``PRAGMA foreign_key_check`` and ``PRAGMA integrity_check`` are clean (as the walk read them
    after the step: :attr:`Step.health <pytest_acodb.checks.walk.Step.health>`)."""
    subject = str(version)
    after = walk.after(version)
    if after is None:
        failure = walk.failure
        assert failure is not None
        if failure.version == version and walk.gap is not None:
            raise CheckSkipped(
                f"migration {version} cannot run here: it {walk.gap.describe()} (an extension "
                "the application loads?); load that extension for the checks, or register the "
                "function on every connection the kit opens; the migrations after it are not "
                "checked"
            )
        if failure.version == version:
            raise CheckFailure(str(failure), check="upgrade", subject=subject) from failure
        raise CheckSkipped(
            f"migration {failure.version} failed earlier; see upgrade[{failure.version}]"
        )
    reason = stood_in(walk, version)
    if reason:
        raise CheckSkipped(reason)
    if after.health.error is not None:
        raise after.health.error
    broken, integrity = after.health.broken, list(after.health.integrity)
    where = after.migration.path if after.migration else version
    if broken:
        rows = ", ".join(f"{t} rowid {r} -> {p}" for t, r, p, _ in broken[:5])
        fail(
            "upgrade",
            subject,
            f"{where}: after migration {version}, PRAGMA foreign_key_check "
            f"reports {len(broken)} row(s) pointing at missing parents ({rows}); fix the data "
            "in the migration, or delete the orphans",
        )
    if integrity != ["ok"]:
        fail(
            "upgrade",
            subject,
            f"{where}: after migration {version}, PRAGMA integrity_check "
            f"reports: {'; '.join(integrity[:5])}",
        )


def describe(changes: list[Change], extra: str) -> str:
    """The changes of a diff as a sentence: ``index x is still there; table y is missing``."""
    parts = []
    for c in changes:
        if c.what == "added":
            parts.append(f"{c.kind} {c.name} {extra}")
        elif c.what == "removed":
            parts.append(f"{c.kind} {c.name} is missing")
        else:
            parts.append(f"{c.kind} {c.name} changed: {c.detail}")
    return "; ".join(parts)


def check_round_trip(walk: Walk, version: int, *, require_down: bool = False) -> None:
    """Reverting ``version`` on the rows of its history (:func:`~.seeding.reverted`: one
    restored copy) works, gives back the schema before it and keeps the rows of the tables that
    exist before and after it; applying it again gives the schema after it.

    A migration with no down script is skipped, or fails with ``require_down`` (it is at or
    above the oldest version the project supports downgrading to). A schema that comes back
    with only its columns in another order, or NOT NULL lost (``ADD COLUMN`` cannot restore it),
    is a :class:`CheckWarning`, not a failure."""
    subject = str(version)
    migration = walk.source.get(version)
    assert migration is not None
    if not migration.reversible:
        # sqlx pairs a down script only with an .up.sql file: a simple X.sql needs renaming too
        simple = not migration.path.name.endswith(".up.sql")
        add = (
            f"rename {migration.path.name} to {migration.label}.up.sql and add "
            f"{migration.label}.down.sql"
            if simple
            else f"add {migration.label}.down.sql"
        )
        if require_down:
            fail(
                "round_trip",
                subject,
                f"{migration.path.name}: migration {version} has no down "
                f"script, but downgrades must reach below it; {add}",
            )
        raise CheckSkipped(f"migration {version} has no down script (to have one: {add})")
    before, after = walk.before(version), walk.after(version)
    if before is None or after is None:
        raise CheckSkipped(f"migration {version} was not applied; see upgrade[{version}]")
    stood = stood_in(walk, version)

    def on_rows(message: str) -> NoReturn:
        """Fail for what the history's rows showed; skip when they hold a stand-in's NULLs."""
        if stood:
            raise CheckSkipped(f"{stood} (with the stand-in: {message})")
        fail("round_trip", subject, message)

    result = reverted(walk, version)
    down = (migration.down_path or migration.path).name
    if result.error is not None:
        if reverts_when_empty(walk, version):
            on_rows(failed_with_rows(result.error, version, "reverting", after.schema))
        on_rows(str(result.error))
    assert result.schema is not None
    changes = before.schema.diff(result.schema)
    hard = [c for c in changes if not loosened(before.schema, result.schema, c)]
    if hard:
        fail(
            "round_trip",
            subject,
            f"after reverting {version} ({down}): "
            f"{describe(hard, 'is still there')}; make the down script undo exactly "
            "what the up script does",
        )
    if result.reapply_error is not None:
        on_rows(f"re-applying {version} after its revert failed: {result.reapply_error}")
    assert result.reapplied is not None
    changes_again = after.schema.diff(result.reapplied)
    if changes_again:
        fail(
            "round_trip",
            subject,
            f"re-applying {version} ({migration.path.name}) after its revert: "
            f"{describe(changes_again, 'is extra')}",
        )
    if stood:
        raise CheckSkipped(f"{stood}; its schema comes back after the revert")
    check_round_trip_rows(walk, version)
    if changes:
        raise CheckWarning(
            f"after reverting {version} ({down}) the schema differs only in ways the old code "
            f"does not notice: {describe(changes, 'is still there')} (ALTER TABLE ... ADD "
            "COLUMN adds a column last and cannot add it NOT NULL without a default); rebuild "
            "the table in the down script to restore it exactly",
            check="round_trip",
            subject=subject,
        )


def check_round_trip_rows(walk: Walk, version: int) -> None:
    """Rows the history holds just after ``version`` are still there after its down script,
    in every table that exists both before and after it (tables the up or down script deletes
    from or drops on purpose left out, and rows the up already lost, which ``data_survives``
    reports). Raises :class:`CheckFailure` (kind ``round_trip``) when the down script loses rows."""
    subject = str(version)
    migration = walk.source.get(version)
    before, after = walk.before(version), walk.after(version)
    if migration is None or migration.down_sql is None or before is None or after is None:
        return
    run = seeded_run(walk, version)
    result = reverted(walk, version)
    if result.rows is None:
        return
    both = {n.lower() for n in before.schema.tables} & {n.lower() for n in after.schema.tables}
    found = actions(migration.down_sql)
    exempt = on_purpose([actions(migration.sql), found], before.schema)
    up_lost = {} if run.after is None else {n.lower(): c for n, c in run.after.items()}
    exempt |= {
        n.lower() for n, c in run.before.items() if n.lower() in up_lost and up_lost[n.lower()] < c
    }
    held = {n: c for n, c in run.held.items() if n.lower() in both}
    losses = lost(held, result.rows, found, after.schema, exempt)
    if losses:
        down = (migration.down_path or migration.path).name
        fail(
            "round_trip",
            subject,
            f"after applying and reverting {version}: "
            + "; ".join(
                explain(t, was, left, migration.down_sql, down, after.schema, before.schema)
                for t, was, left in losses
            ),
        )


def check_no_trace(walk: Walk, min_version: int | None = None) -> None:
    """Reverting every migration, newest first, from the final state leaves no table, index,
    trigger or view behind, and an empty bookkeeping table.

    With ``min_version`` (the oldest version downgrades must reach), only the migrations from
    ``min_version`` up are reverted, each must have a down script, and what is left must be the
    state before the first of them."""
    targets = [m for m in walk.source if min_version is None or m.version >= min_version]
    if not targets:
        raise CheckSkipped(
            "no migrations" if min_version is None else f"no migration at or above {min_version}"
        )
    missing = [m.label for m in targets if not m.reversible]
    if missing and min_version is None:
        raise CheckSkipped(
            f"not every migration can be reverted; no down script for {', '.join(missing)}"
        )
    if missing:
        fail(
            "no_trace",
            "all",
            f"downgrades must reach {min_version}, but these have no down "
            f"script: {', '.join(missing)}",
        )
    if walk.failure is not None:
        raise CheckSkipped(
            f"migration {walk.failure.version} does not apply; see upgrade[{walk.failure.version}]"
        )
    base = walk.before(targets[0].version)
    assert base is not None
    conn = walk.open(walk.steps[-1].migration.version if walk.steps[-1].migration else None)
    try:
        for migration in reversed(targets):
            try:
                walk.migrator.revert(conn, migration)
            except MigrateError as exc:
                fail(
                    "no_trace", "all", f"reverting everything stopped at {migration.version}: {exc}"
                )
        left = walk.snapshot(conn)
        rows = conn.execute(f"SELECT count(*) FROM {walk.migrator.table}").fetchone()[0]
    finally:
        conn.close()
    if min_version is not None:
        changes = base.schema.diff(left)
        if changes:
            fail(
                "no_trace",
                "all",
                f"after reverting every migration down to {min_version}: "
                f"{describe(changes, 'is still there')}; drop them in the down script of the "
                "migration that creates them",
            )
        kept = len(walk.source.migrations) - len(targets)
        if rows != kept:
            fail(
                "no_trace",
                "all",
                f"after reverting every migration down to {min_version}, "
                f"{walk.source.table_name} has {rows} row(s), expected {kept}",
            )
        return
    remains = [
        f"{kind} {name}" + (f" (from {v})" if (v := walk.introduced_by(kind, name)) else "")
        for kind, objects in (
            ("table", left.tables),
            ("index", left.indexes),
            ("trigger", left.triggers),
            ("view", left.views),
        )
        for name in objects
    ]
    if remains:
        fail(
            "no_trace",
            "all",
            f"after reverting every migration these remain: "
            f"{', '.join(remains)}; drop them in the down script of the migration that creates "
            "them",
        )
    if rows:
        fail(
            "no_trace",
            "all",
            f"after reverting every migration {walk.source.table_name} still has {rows} row(s)",
        )
