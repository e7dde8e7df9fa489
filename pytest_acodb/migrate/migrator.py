"""Planning, applying, reverting and validating sqlx migrations on a SQLite connection.

The migrator owns every decision a door might be tempted to make: what each migration's status
is (:meth:`Migrator.status`), what a run applies and skips (:meth:`Migrator.plan_run`), what a
revert reverts and keeps (:meth:`Migrator.plan_revert`), whether a target version is usable, and
the migration lock. A dry run is the same plan, not executed.

The bookkeeping is sqlx's (``sqlx-sqlite/src/migrate.rs``), so a database migrated here looks
migrated to sqlx and the other way round:

- table ``_sqlx_migrations(version BIGINT PRIMARY KEY, description TEXT NOT NULL, installed_on
  TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, success BOOLEAN NOT NULL, checksum BLOB NOT NULL,
  execution_time BIGINT NOT NULL)``;
- a migration and the insert of its row (``success = TRUE``, ``execution_time = -1``) run in one
  transaction; after ``COMMIT`` the row's ``execution_time`` is set to the elapsed nanoseconds.
  A statement of the migration that would begin or end a transaction (``BEGIN``, ``COMMIT``,
  ``END``, ``ROLLBACK``) is refused before it runs, and the connection's transaction state is
  checked after every statement, so a migration is never half committed;
- a migration whose file starts with ``-- no-transaction`` runs outside a transaction. Its row
  is written with ``success = FALSE`` *before* its first statement and set to ``TRUE`` after the
  last one, so a failure, Ctrl-C or a kill part way leaves the database marked dirty; a
  transaction the migration opened itself is rolled back first;
- a revert runs the down script and deletes the row, in one transaction; a ``-- no-transaction``
  down script sets the row to ``success = FALSE`` before it starts.

Every connection handed to the migrator must be a DB-API SQLite connection opened with
``isolation_level=None`` (the migrator issues ``BEGIN``/``COMMIT`` itself), as
:mod:`pytest_acodb.db.connect` opens them; foreign keys are switched on before each run, as sqlx's
SQLite driver does by default.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from ..db import driver as drivers
from ..db.features import Explanation, explain
from ..errors import (
    BookkeepingError,
    DatabaseError,
    DirtyMigrationError,
    LineEndingsChangedError,
    MigrateError,
    MissingMigrationError,
    ModifiedMigrationError,
    NotReversibleError,
    PendingMigrationError,
    SimpleMigrationInTheWayError,
    TargetNotFoundError,
    TargetTooNewError,
    TargetTooOldError,
    TransactionControlError,
    TransactionOpenError,
    ValidateError,
)
from .plan import Plan, Progress, RevertPlan, RunPlan
from .runlock import LOCK_TIMEOUT_S, MigrationLock, database_file
from .source import Migration, MigrationSource
from .sql import NO_TX_MARKER, Statement, split_statements, transaction_control
from .status import COLUMNS, AppliedMigration, MigrationStatus, State, read_row, state_of


def format_elapsed(ns: int) -> str:
    """A duration in nanoseconds as Rust's ``Duration`` Debug prints it: ``0ns``, ``850ns``,
    ``12.5µs``, ``1.234567ms``, ``2.5s`` (largest unit >= 1, fraction without trailing zeros)."""
    for unit, size, digits in (("s", 10**9, 9), ("ms", 10**6, 6), ("µs", 10**3, 3)):
        if ns >= size:
            whole, frac = divmod(ns, size)
            text = f"{frac:0{digits}d}".rstrip("0")
            return f"{whole}.{text}{unit}" if text else f"{whole}{unit}"
    return f"{max(ns, 0)}ns"


def quote(identifier: str) -> str:
    """Quote an SQLite identifier (table, column, index) with double quotes."""
    return '"' + identifier.replace('"', '""') + '"'


class Migrator:
    """Runs a :class:`MigrationSource` against SQLite connections the way sqlx does.

    ``locking`` (default true, as sqlx's ``Migrator::set_locking``): :meth:`run` and
    :meth:`undo` hold the migration lock of a database file (:mod:`.runlock`) while they plan and
    change it; ``lock_timeout``: seconds to wait for another run.
    """

    def __init__(
        self, source: MigrationSource, *, locking: bool = True, lock_timeout: float = LOCK_TIMEOUT_S
    ) -> None:
        self.source = source
        self.locking = locking
        self.lock_timeout = lock_timeout
        # sqlx splices the table name in unquoted; quote only names that need it.
        name = source.table_name
        self.table = name if name.isidentifier() and name.isascii() else quote(name)

    # -- bookkeeping ---------------------------------------------------------------------------

    def ensure_table(self, conn: sqlite3.Connection) -> None:
        """Create the bookkeeping table if it is missing.

        The statement is sqlx's text byte for byte (leading newline, 4-space indents, 16 spaces
        after the ``;``), so ``sqlite_schema.sql`` of a database made here equals sqlx's.
        """
        conn.execute(
            f"\nCREATE TABLE IF NOT EXISTS {self.table} (\n"
            "    version BIGINT PRIMARY KEY,\n"
            "    description TEXT NOT NULL,\n"
            "    installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,\n"
            "    success BOOLEAN NOT NULL,\n"
            "    checksum BLOB NOT NULL,\n"
            "    execution_time BIGINT NOT NULL\n"
            ");\n" + " " * 16
        )

    def applied(self, conn: sqlite3.Connection) -> dict[int, AppliedMigration]:
        """The rows of the bookkeeping table by version; empty when the table does not exist.

        Raises :class:`~pytest_acodb.errors.BookkeepingError` for a table sqlx could not read (a
        column missing, a version that is not an integer, a NULL or wrongly typed value) and
        :class:`~pytest_acodb.errors.DatabaseError` when SQLite cannot read the database.
        """
        name = self.source.table_name
        with database_errors(conn):
            exists = conn.execute(
                "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?", (name,)
            ).fetchone()
            if not exists:
                return {}
            columns = {str(r[1]).lower() for r in conn.execute(f"PRAGMA table_info({self.table})")}
            missing = [c for c in COLUMNS if c not in columns]
            if missing:
                raise BookkeepingError(name, f"has no column {', '.join(missing)}")
            rows = conn.execute(f"SELECT {', '.join(COLUMNS)} FROM {self.table}").fetchall()
        found = [read_row(name, r) for r in rows]
        return {r.version: r for r in sorted(found, key=lambda r: r.version)}

    def status(self, conn: sqlite3.Connection) -> list[MigrationStatus]:
        """One :class:`MigrationStatus` per version in the directory or the table, in version
        order. Changes nothing (works on a read-only connection and on a database with no
        table). Raises what :meth:`applied` raises."""
        applied = self.applied(conn)
        files = {m.version: m for m in self.source}
        statuses = []
        for version in sorted(files.keys() | applied.keys()):
            migration, row = files.get(version), applied.get(version)
            description = migration.description if migration else row.description if row else ""
            statuses.append(
                MigrationStatus(version, description, state_of(migration, row), migration, row)
            )
        return statuses

    def problem(self, status: MigrationStatus) -> ValidateError | None:
        """The typed error for a status that is not ``INSTALLED``: ``DirtyMigrationError``,
        ``MissingMigrationError``, ``ModifiedMigrationError``, ``LineEndingsChangedError`` or
        ``PendingMigrationError`` (each a :class:`~pytest_acodb.errors.ValidateError`)."""
        migration, row = status.migration, status.applied
        if status.state is State.DIRTY:
            return DirtyMigrationError(status.version, self.source.table_name)
        if status.state is State.MISSING:
            return MissingMigrationError(status.version, status.description, self.source.directory)
        if status.state is State.PENDING:
            return PendingMigrationError(status.version, status.description)
        if status.state in (State.MODIFIED, State.LINE_ENDINGS):
            assert migration is not None and row is not None
            kind = (
                LineEndingsChangedError
                if status.state is State.LINE_ENDINGS
                else ModifiedMigrationError
            )
            return kind(status.version, migration.path, row.checksum, migration.checksum)
        return None

    def validate(
        self, conn: sqlite3.Connection, *, ignore_missing: bool = False
    ) -> list[ValidateError]:
        """Compare an applied database with the directory, as sqlx's migrator does.

        Returns one :class:`~pytest_acodb.errors.ValidateError` per migration that is not
        installed as it is (kinds ``dirty``, ``missing``, ``modified``, ``line_endings``,
        ``pending``), in version order; empty when the database is fully migrated with these
        exact files. Raises what :meth:`applied` raises.
        """
        problems = [self.problem(s) for s in self.status(conn)]
        return [
            p for p in problems if p is not None and not (ignore_missing and p.kind == "missing")
        ]

    # -- plans ----------------------------------------------------------------------------------

    def plan_run(
        self, conn: sqlite3.Connection, target: int | None = None, *, ignore_missing: bool = False
    ) -> RunPlan:
        """What :meth:`run` would apply up to ``target`` (inclusive; ``None``: everything), and
        skip above it. Changes nothing.

        Checks in sqlx-cli's order and raises: :class:`~pytest_acodb.errors.TargetNotFoundError`
        (``target`` is not a version of the directory), ``DirtyMigrationError``,
        ``MissingMigrationError`` (unless ``ignore_missing``), ``TargetTooOldError`` (``target``
        is below the newest applied version), ``ModifiedMigrationError`` /
        ``LineEndingsChangedError``; and what :meth:`applied` raises.
        """
        self._check_target(target, revert=False)
        statuses = self.status(conn)
        self._raise_first(statuses, (State.DIRTY,))
        if not ignore_missing:
            self._raise_first(statuses, (State.MISSING,))
        latest = max((s.version for s in statuses if s.applied is not None), default=None)
        if target is not None and latest is not None and target < latest:
            raise TargetTooOldError(target, latest)
        self._raise_first(statuses, (State.MODIFIED, State.LINE_ENDINGS))
        pending = [s.migration for s in statuses if s.state is State.PENDING and s.migration]
        return RunPlan(
            target,
            tuple(m for m in pending if target is None or m.version <= target),
            tuple(m for m in pending if target is not None and m.version > target),
        )

    def plan_revert(
        self,
        conn: sqlite3.Connection,
        target: int | None = None,
        *,
        skip_simple: bool = False,
        ignore_missing: bool = False,
    ) -> RevertPlan:
        """What :meth:`undo` would revert: with ``target=None`` the newest applied reversible
        migration, otherwise every applied migration above ``target`` (``0``: all of them),
        newest first. Changes nothing.

        sqlx passes over applied migrations with no down script; with ``skip_simple=False`` (the
        default) an applied simple migration in the way raises
        :class:`~pytest_acodb.errors.SimpleMigrationInTheWayError` instead, because passing it
        leaves its changes behind while the ones below it are undone. Also raises
        ``TargetNotFoundError`` (``target`` neither ``0`` nor a version of the directory),
        ``DirtyMigrationError``, ``MissingMigrationError`` (unless ``ignore_missing``),
        ``TargetTooNewError`` (``target`` above the newest applied version), and what
        :meth:`applied` raises. Checksums are not compared (sqlx-cli does not either).
        """
        self._check_target(target, revert=True)
        statuses = self.status(conn)
        self._raise_first(statuses, (State.DIRTY,))
        if not ignore_missing:
            self._raise_first(statuses, (State.MISSING,))
        applied = {s.version for s in statuses if s.applied is not None}
        latest = max(applied, default=0)
        if target is not None and target > latest:
            raise TargetTooNewError(target, latest)
        revert: list[Migration] = []
        keep: list[Migration] = []
        passed: list[Migration] = []
        for migration in reversed(self.source.migrations):
            if migration.version not in applied:
                continue
            if target is not None and migration.version <= target:
                if migration.reversible:
                    keep.append(migration)
                continue
            if not migration.reversible:
                if not skip_simple:
                    raise SimpleMigrationInTheWayError(
                        migration.version, migration.path, migration.label
                    )
                passed.append(migration)
                continue
            revert.append(migration)
            if target is None:  # without a target, only the newest one
                break
        return RevertPlan(target, tuple(revert), tuple(keep), tuple(passed))

    def _check_target(self, target: int | None, *, revert: bool) -> None:
        """The one check that a target version exists (``0`` also for a revert)."""
        if target is None or (revert and target == 0) or self.source.get(target) is not None:
            return
        raise TargetNotFoundError(
            target, [m.version for m in self.source], self.source.directory, revert=revert
        )

    def _raise_first(self, statuses: list[MigrationStatus], states: tuple[State, ...]) -> None:
        for status in statuses:
            if status.state in states:
                problem = self.problem(status)
                assert problem is not None
                raise problem

    # -- whole runs ----------------------------------------------------------------------------

    @contextlib.contextmanager
    def lock(self, conn: sqlite3.Connection) -> Iterator[MigrationLock | None]:
        """Hold the migration lock of the database file behind ``conn`` (symlinks resolved);
        yields the lock, or ``None`` for an in-memory database or when ``locking`` is off.
        Raises :class:`~pytest_acodb.errors.MigrationLockError` (at once, with the real cause)
        when the lock file cannot be created and ``MigrationLockTimeout`` after
        ``lock_timeout`` seconds of waiting."""
        with database_errors(conn):
            path = database_file(conn) if self.locking else None
        if path is None:
            yield None
            return
        with MigrationLock(path, self.lock_timeout) as held:
            yield held

    def run(
        self,
        conn: sqlite3.Connection,
        target: int | None = None,
        *,
        ignore_missing: bool = False,
        dry_run: bool = False,
        before: Callable[[RunPlan], None] | None = None,
        progress: Progress | None = None,
    ) -> RunPlan:
        """Apply every pending migration up to ``target`` (inclusive); returns the plan it
        carried out (:attr:`RunPlan.apply` were applied).

        Under the migration lock: plans with :meth:`plan_run` (so what is pending is read after
        the lock is taken), calls ``before(plan)`` when something will be applied (e.g. to back
        the file up), creates the bookkeeping table, then applies each migration with
        :meth:`apply`, calling ``progress`` after each. With ``dry_run`` only the plan is made
        (no lock, nothing written: a read-only connection will do).

        Raises what :meth:`plan_run` and :meth:`lock` raise, :class:`~pytest_acodb.errors.
        MigrateError` when a migration fails, ``TransactionOpenError`` when ``conn`` is inside
        a transaction, and ``DatabaseError`` when SQLite refuses the bookkeeping.
        """
        _prepare(conn)
        if dry_run:
            return self.plan_run(conn, target, ignore_missing=ignore_missing)
        with self.lock(conn):
            plan = self.plan_run(conn, target, ignore_missing=ignore_missing)
            if before is not None and plan.apply:
                before(plan)
            with database_errors(conn):
                self.ensure_table(conn)
            self.execute(conn, plan, progress)
        return plan

    def undo(
        self,
        conn: sqlite3.Connection,
        target: int | None = None,
        *,
        skip_simple: bool = False,
        ignore_missing: bool = False,
        dry_run: bool = False,
        before: Callable[[RevertPlan], None] | None = None,
        progress: Progress | None = None,
    ) -> RevertPlan:
        """Revert migrations as :meth:`plan_revert` chooses them; returns the plan carried out
        (:attr:`RevertPlan.revert` were reverted). Locking, ``dry_run``, ``before`` and
        ``progress`` work as in :meth:`run`. Raises what :meth:`plan_revert` raises and
        :class:`~pytest_acodb.errors.MigrateError` when a down script fails."""
        _prepare(conn)
        if dry_run:
            return self.plan_revert(
                conn, target, skip_simple=skip_simple, ignore_missing=ignore_missing
            )
        with self.lock(conn):
            plan = self.plan_revert(
                conn, target, skip_simple=skip_simple, ignore_missing=ignore_missing
            )
            if before is not None and plan.revert:
                before(plan)
            self.execute(conn, plan, progress)
        return plan

    def execute(
        self, conn: sqlite3.Connection, plan: Plan, progress: Progress | None = None
    ) -> list[Migration]:
        """Carry out exactly ``plan`` (no locking, no planning): apply ``plan.apply`` or revert
        ``plan.revert`` in order; returns the migrations done. Raises what :meth:`apply` and
        :meth:`revert` raise; the migrations before a failing one stay done."""
        done = []
        action = "apply" if isinstance(plan, RunPlan) else "revert"
        for migration in plan.apply if isinstance(plan, RunPlan) else plan.revert:
            if action == "apply":
                elapsed = self.apply(conn, migration)
            else:
                elapsed = self.revert(conn, migration)
            done.append(migration)
            if progress:
                progress(action, migration, elapsed)
        return done

    # -- single steps --------------------------------------------------------------------------

    def apply(self, conn: sqlite3.Connection, migration: Migration) -> int:
        """Apply one migration with its bookkeeping row; returns the elapsed nanoseconds.

        Raises :class:`~pytest_acodb.errors.MigrateError` naming the file, line and statement
        when its SQL fails (``TransactionControlError`` for a statement that would begin or end
        the transaction); the database is then exactly as it was before, unless the migration
        is ``-- no-transaction``: then its row says ``success = FALSE`` (dirty). Raises
        ``DatabaseError`` when SQLite refuses the bookkeeping (a read-only or locked database).
        """
        with database_errors(conn):
            self.ensure_table(conn)
        record = (
            f"INSERT INTO {self.table} (version, description, success, checksum, execution_time) "
            "VALUES (?, ?, ?, ?, -1)"
        )
        row = (migration.version, migration.description)
        start = time.perf_counter_ns()
        if migration.no_tx:
            with database_errors(conn):
                conn.execute(record, (*row, False, migration.checksum))
            self._run_outside(conn, migration, migration.sql, "apply")
            elapsed = time.perf_counter_ns() - start
            with database_errors(conn):
                conn.execute(
                    f"UPDATE {self.table} SET success = TRUE, execution_time = ? WHERE version = ?",
                    (elapsed, migration.version),
                )
            return elapsed
        with self._transaction(conn):
            self._execute(conn, migration, migration.sql, "apply", inside=True)
            conn.execute(record, (*row, True, migration.checksum))
        elapsed = time.perf_counter_ns() - start
        with database_errors(conn):
            conn.execute(
                f"UPDATE {self.table} SET execution_time = ? WHERE version = ?",
                (elapsed, migration.version),
            )
        return elapsed

    def revert(self, conn: sqlite3.Connection, migration: Migration) -> int:
        """Run a migration's down script and delete its row; returns the elapsed nanoseconds.

        Raises :class:`~pytest_acodb.errors.NotReversibleError` when the migration has no down
        script and :class:`~pytest_acodb.errors.MigrateError` when the down script fails: the
        database is then unchanged, unless the down script is ``-- no-transaction``, whose row
        then says ``success = FALSE`` (dirty).
        """
        if migration.down_sql is None:
            raise NotReversibleError(migration.version, migration.path, migration.label)
        start = time.perf_counter_ns()
        delete = f"DELETE FROM {self.table} WHERE version = ?"
        if migration.down_sql.startswith(NO_TX_MARKER):
            with database_errors(conn):
                conn.execute(
                    f"UPDATE {self.table} SET success = FALSE WHERE version = ?",
                    (migration.version,),
                )
            self._run_outside(conn, migration, migration.down_sql, "revert")
            with database_errors(conn):
                conn.execute(delete, (migration.version,))
        else:
            with self._transaction(conn):
                self._execute(conn, migration, migration.down_sql, "revert", inside=True)
                conn.execute(delete, (migration.version,))
        return time.perf_counter_ns() - start

    def _run_outside(
        self, conn: sqlite3.Connection, migration: Migration, sql: str, action: str
    ) -> None:
        """Run a ``-- no-transaction`` script whose row already says ``success = FALSE``; on any
        failure or interruption, roll back a transaction the script left open (so the row stays
        as it is: dirty) and re-raise."""
        try:
            self._execute(conn, migration, sql, action, inside=False)
            if conn.in_transaction:
                raise MigrateError(
                    version=migration.version,
                    path=_script_path(migration, action),
                    reason="it left a transaction open (a BEGIN without COMMIT), which was "
                    "rolled back",
                    dirty=True,
                    action=action,
                )
        except BaseException:
            if conn.in_transaction:
                with contextlib.suppress(*drivers.Error):
                    conn.execute("ROLLBACK")
            raise

    def _execute(
        self,
        conn: sqlite3.Connection,
        migration: Migration,
        sql: str,
        action: str,
        *,
        inside: bool,
    ) -> None:
        """Run ``sql`` one statement at a time. ``inside``: the statements run inside the
        migrator's transaction, which none of them may begin or end, except in the shape sqlx
        itself runs to the end (:func:`reopens`: ``COMMIT`` ... ``BEGIN`` pairs, the script ending
        inside a transaction, which the migrator then commits with the bookkeeping row)."""
        path = _script_path(migration, action)
        statements = split_statements(sql)
        split = inside and reopens(statements)
        expected = inside  # whether a transaction should be open after the statement
        committed: int | None = None  # line of the first early COMMIT that ran
        for statement in statements:
            verb = transaction_control(statement) if inside else None
            if verb and not split:
                raise TransactionControlError(
                    version=migration.version,
                    path=path,
                    statement=statement.text,
                    line=statement.line,
                    action=action,
                )
            if "\x00" in statement.text:  # SQLite would stop reading there; the driver refuses
                raise MigrateError(
                    version=migration.version,
                    path=path,
                    reason="the statement holds a NUL character, where SQLite stops reading",
                    statement=statement.text.replace("\x00", "\\0"),
                    line=statement.line,
                    dirty=not inside,
                    action=action,
                    todo="remove the NUL character from the file",
                    state=_partly(committed),
                )
            try:
                conn.execute(statement.text)
            except drivers.Error as exc:
                explained = _explain(conn, str(exc))
                raise MigrateError(
                    version=migration.version,
                    path=path,
                    reason=str(exc),
                    statement=statement.text,
                    line=statement.line,
                    dirty=not inside,
                    action=action,
                    code=drivers.error_code(exc),
                    todo=explained.todo if explained else None,
                    needs=explained.needs if explained else None,
                    state=_partly(committed),
                ) from exc
            if verb is not None:
                expected = verb == "BEGIN"
                if not expected and committed is None:
                    committed = statement.line
            elif inside and expected and not conn.in_transaction:
                raise TransactionControlError(
                    version=migration.version,
                    path=path,
                    statement=statement.text,
                    line=statement.line,
                    action=action,
                    ended=True,
                )

    @contextlib.contextmanager
    def _transaction(self, conn: sqlite3.Connection) -> Iterator[None]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT``, or ``ROLLBACK`` on any exception (which
        propagates); SQLite's own refusals of the three become ``DatabaseError``."""
        with database_errors(conn):
            conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            if conn.in_transaction:
                with contextlib.suppress(*drivers.Error):
                    conn.execute("ROLLBACK")
            raise
        try:
            conn.execute("COMMIT")
        except drivers.Error as exc:
            with contextlib.suppress(*drivers.Error):
                conn.execute("ROLLBACK")
            raise _database_error(conn, exc) from exc


def _script_path(migration: Migration, action: str) -> Path:
    return migration.path if action == "apply" else (migration.down_path or migration.path)


def _prepare(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        raise TransactionOpenError()
    with database_errors(conn):
        conn.execute("PRAGMA foreign_keys = ON")


@contextlib.contextmanager
def database_errors(conn: sqlite3.Connection) -> Iterator[None]:
    """Turn the driver's SQLite errors raised inside into
    :class:`~pytest_acodb.errors.DatabaseError` naming the database file of ``conn``."""
    try:
        yield
    except drivers.Error as exc:
        raise _database_error(conn, exc) from exc


def _database_error(conn: sqlite3.Connection, exc: BaseException) -> DatabaseError:
    try:
        path = database_file(conn)
    except drivers.Error:
        path = None
    return DatabaseError.from_driver(exc, path)


def _explain(conn: sqlite3.Connection, reason: str) -> Explanation | None:
    """Why a statement may have failed for want of a newer SQLite or an extension (see
    :func:`pytest_acodb.db.features.explain`), judged on the SQLite ``conn`` runs."""
    try:
        (text,) = conn.execute("SELECT sqlite_version()").fetchone()
    except drivers.Error:
        return None
    major, minor, patch = (int(p) for p in str(text).split(".")[:3])
    module = type(conn).__module__
    driver = next((n for n, m in drivers.DRIVERS.items() if module.startswith(m)), module)
    return explain(reason, (major, minor, patch), driver)


def reopens(statements: Sequence[Statement]) -> bool:
    """Whether a script that runs inside sqlx's transaction ends and reopens it in the one shape
    sqlx runs to the end (the workaround of sqlx issue #2085 for a ``PRAGMA`` that needs to run
    outside a transaction): ``COMMIT`` (or ``END``) then ``BEGIN``, any number of times, never
    ``ROLLBACK``, the script ending inside a transaction for sqlx's own ``COMMIT``."""
    verbs = [v for v in map(transaction_control, statements) if v]
    return (
        bool(verbs)
        and len(verbs) % 2 == 0
        and all(v in ("COMMIT", "END") for v in verbs[0::2])
        and all(v == "BEGIN" for v in verbs[1::2])
    )


def _partly(committed: int | None) -> str | None:
    """The state after a failure in a script that committed sqlx's transaction early on line
    ``committed`` (``None``: it did not, and the default words hold)."""
    if committed is None:
        return None
    return (
        f"the statements before its COMMIT on line {committed} stay committed (the file commits "
        "sqlx's transaction early), the rest was rolled back and nothing was recorded: check "
        "the database by hand"
    )
