"""A rehearsal: the pending migrations applied to a copy of a real database, before a deploy.

sqlx can say which migrations a database lacks; it cannot say what they will do to its rows. A
:class:`Rehearsal` opens the database read-only (the file stays byte-identical, its mtime too),
copies it into a temporary file, and applies each pending migration to the copy exactly as sqlx
would, in order, recording per migration: the time it took on this data, the rows of every table
before and after it, the rows it wrote, the values of surviving rows it changed without writing
their column by name, and, when it fails, the statement and how many rows broke it (never their
values: the database may hold secrets). It stops at the first migration that fails.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..db import driver as drivers
from ..db.connect import Connector, default_connector
from ..errors import MigrateError, TransactionControlError, ValidateError
from ..schema import Schema, snapshot
from .migrator import Migrator, quote
from .source import Migration, MigrationSource
from .sql import split_statements
from .statements import actions, origins
from .status import State


@dataclass(frozen=True)
class Rows:
    """The rows of one table around a migration: ``before`` and ``after`` (``None`` when the
    table does not exist then)."""

    before: int | None
    after: int | None


@dataclass
class RehearsedStep:
    """One pending migration rehearsed on the copy.

    ``migration``; ``elapsed_ns``: how long it took (``None`` when it failed); ``rows``:
    :class:`Rows` of every ordinary table before or after it; ``written``: rows its statements
    inserted, updated or deleted (SQLite's ``total_changes``); ``changed_values``: ``{(table,
    column): rows}`` for surviving rows (same primary key) whose value of a column present
    before and after changed although the migration never writes that column by name (``UPDATE
    ... SET column``); ``error``: the :class:`MigrateError` of a failed apply; ``broken_rows``:
    how many rows broke the failing statement, when that can be counted; ``before`` / ``after``:
    the schemas around it (``after`` is ``None`` when it failed).
    """

    migration: Migration
    before: Schema
    rows: dict[str, Rows] = field(default_factory=dict)
    elapsed_ns: int | None = None
    written: int = 0
    changed_values: dict[tuple[str, str], int] = field(default_factory=dict)
    error: MigrateError | None = None
    broken_rows: int | None = None
    after: Schema | None = None


StepHook = Callable[[RehearsedStep, sqlite3.Connection], None]
"""Called after each migration that applied, with its step and the copy in that state (for
checks that look at the state itself; anything it changes must be rolled back)."""


class Rehearsal:
    """The pending migrations of ``source`` rehearsed on a copy of the database at ``url``.

    ``pending``: the migrations sqlx would apply (after the read-only validation); ``blocked``:
    the :class:`~pytest_acodb.errors.ValidateError` that stops sqlx from migrating this database
    (dirty, missing, modified), else ``None``. :meth:`run` rehearses them (once; later calls
    return the same steps). Raises ``SqliteUrlError`` / ``DatabaseError`` when the database
    cannot be opened or read.
    """

    def __init__(
        self, source: MigrationSource, url: str, connector: Connector | None = None
    ) -> None:
        from ..db.urls import parse_sqlite_url

        self.source = source
        self.url = url
        self.connector = connector or default_connector()
        self.migrator = Migrator(source)
        self.target = parse_sqlite_url(url)
        self.blocked: ValidateError | None = None
        self.pending: tuple[Migration, ...] = ()
        self._steps: list[RehearsedStep] | None = None
        original = self.target.connect(read_only=True, connector=self.connector)
        try:
            self.pending = self.migrator.plan_run(original).apply
        except ValidateError as exc:
            self.blocked = exc
            self.pending = tuple(
                s.migration
                for s in self.migrator.status(original)
                if s.state is State.PENDING and s.migration is not None
            )
        finally:
            original.close()

    def run(self, on_step: StepHook | None = None) -> list[RehearsedStep]:
        """Rehearse every pending migration (see the module docstring); returns one
        :class:`RehearsedStep` per migration reached. ``on_step`` is called after each one that
        applied. Nothing is written to the original database."""
        if self._steps is not None:
            return self._steps
        steps: list[RehearsedStep] = []
        if self.blocked is None and self.pending:
            with self._copies() as (work, before):
                for migration in self.pending:
                    step = self._rehearse(work, before, migration)
                    steps.append(step)
                    if step.error is not None:
                        break
                    if on_step is not None:
                        on_step(step, work)
        self._steps = steps
        return steps

    @contextlib.contextmanager
    def _copies(self) -> Iterator[tuple[sqlite3.Connection, Path]]:
        """A connection to a private copy of the database in a temporary directory (deleted
        afterwards), and the path where the state before each migration is copied."""
        directory = Path(tempfile.mkdtemp(prefix="acodb-rehearsal-"))
        original = self.target.connect(read_only=True, connector=self.connector)
        work = self.connector.connect(directory / "rehearsal.db")
        try:
            original.backup(work)
            original.close()
            yield work, directory / "before.db"
        finally:
            original.close()
            work.close()
            shutil.rmtree(directory, ignore_errors=True)

    def _rehearse(
        self, work: sqlite3.Connection, before_path: Path, migration: Migration
    ) -> RehearsedStep:
        exclude = (self.source.table_name,)
        before = snapshot(work, exclude=exclude)
        step = RehearsedStep(migration, before)
        counts = _counts(work, before)
        before_copy = self.connector.connect(before_path)
        try:
            work.backup(before_copy)
        finally:
            before_copy.close()
        written = work.total_changes
        try:
            step.elapsed_ns = self.migrator.apply(work, migration)
        except MigrateError as exc:
            step.error = exc
            step.elapsed_ns = None
            step.broken_rows = _broken_rows(work, migration, exc, before)
            step.rows = {t: Rows(n, n) for t, n in counts.items()}
            return step
        step.written = work.total_changes - written
        step.after = snapshot(work, exclude=exclude)
        after_counts = _counts(work, step.after)
        step.rows = {
            t: Rows(counts.get(t), after_counts.get(t))
            for t in sorted(counts.keys() | after_counts.keys())
        }
        step.changed_values = _changed_values(work, before_path, migration, before, step.after)
        return step


def _counts(conn: sqlite3.Connection, schema: Schema) -> dict[str, int]:
    return {
        name: conn.execute(f"SELECT count(*) FROM {quote(name)}").fetchone()[0]
        for name, table in schema.tables.items()
        if table.ordinary
    }


def _written_columns(sql: str) -> set[tuple[str, str]]:
    """``(table, column)`` pairs, lower-cased, that ``sql`` writes by name with ``UPDATE table
    SET column = ...`` (tables followed back through ``ALTER TABLE ... RENAME``)."""
    import sqlglot
    from sqlglot import exp

    written: set[tuple[str, str]] = set()
    for action, original in origins(actions(sql)):
        if action.verb != "UPDATE" or not action.name:
            continue
        try:
            tree = sqlglot.parse_one(action.text, read="sqlite")
        except sqlglot.errors.SqlglotError:
            continue
        for assignment in tree.expressions if isinstance(tree, exp.Update) else ():
            target = getattr(assignment, "this", None)
            if isinstance(target, exp.Column):
                for table in {action.name.lower(), original}:
                    written.add((table, target.name.lower()))
    return written


def _changed_values(
    work: sqlite3.Connection,
    before_path: Path,
    migration: Migration,
    before: Schema,
    after: Schema,
) -> dict[tuple[str, str], int]:
    """Per ``(table, column)``, how many surviving rows (same primary key before and after)
    hold another value after the migration, for columns it does not write by name."""
    written = _written_columns(migration.sql)
    changed: dict[tuple[str, str], int] = {}
    work.execute("ATTACH DATABASE ? AS acodb_before", (str(before_path),))
    try:
        for name, table in after.tables.items():
            old = before.table(name)
            key = table.primary_key
            if old is None or not table.ordinary or not key or old.primary_key != key:
                continue
            on = " AND ".join(f"a.{quote(k)} IS b.{quote(k)}" for k in key)
            for column in table.columns:
                if column.pk or not old.column(column.name) or not column.insertable:
                    continue
                if (name.lower(), column.name.lower()) in written:
                    continue
                c = quote(column.name)
                rows = work.execute(
                    f"SELECT count(*) FROM main.{quote(name)} a JOIN acodb_before.{quote(old.name)} b "
                    f"ON {on} WHERE a.{c} IS NOT b.{c}"
                ).fetchone()[0]
                if rows:
                    changed[(name, column.name)] = rows
    finally:
        work.execute("DETACH DATABASE acodb_before")
    return changed


_UNIQUE = re.compile(r"UNIQUE constraint failed: (.+)$")


def _broken_rows(
    work: sqlite3.Connection, migration: Migration, error: MigrateError, before: Schema
) -> int | None:
    """How many rows of the copy broke the statement ``error`` names, when that can be
    counted: rows in groups that a new UNIQUE key finds duplicated, or rows a foreign key
    check finds dangling once the statement ran with foreign keys deferred. The copy is left
    as it was (everything runs in a transaction rolled back)."""
    if isinstance(error, TransactionControlError) or error.line is None or error.dirty:
        return None
    statements = split_statements(migration.sql)
    work.execute("BEGIN")
    try:
        for statement in statements:
            if statement.line == error.line:
                return _count_broken(work, statement.text, error.reason, before)
            work.execute(statement.text)
    except drivers.Error:
        return None
    finally:
        if work.in_transaction:
            work.execute("ROLLBACK")
    return None


def _count_broken(
    work: sqlite3.Connection, statement: str, reason: str, before: Schema
) -> int | None:
    found = _UNIQUE.search(reason)
    if found:
        columns = [c.strip() for c in found.group(1).split(",")]
        table = columns[0].rpartition(".")[0]
        names = [c.rpartition(".")[2] for c in columns]
        if not table or any(not n for n in names):
            return None
        keys = ", ".join(quote(n) for n in names)
        total = work.execute(
            f"SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM {quote(table)} "
            f"GROUP BY {keys} HAVING n > 1)"
        ).fetchone()[0]
        return int(total) or None
    if "FOREIGN KEY constraint failed" in reason:
        work.execute("PRAGMA defer_foreign_keys = ON")
        work.execute(statement)
        return len(work.execute("PRAGMA foreign_key_check").fetchall()) or None
    return None
