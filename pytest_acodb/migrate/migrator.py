"""Applying, reverting and validating sqlx migrations on a SQLite connection.

The bookkeeping is sqlx's (``sqlx-sqlite/src/migrate.rs``), so a database migrated here looks
migrated to sqlx and the other way round:

- table ``_sqlx_migrations(version BIGINT PRIMARY KEY, description TEXT NOT NULL, installed_on
  TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, success BOOLEAN NOT NULL, checksum BLOB NOT NULL,
  execution_time BIGINT NOT NULL)``;
- a migration and the insert of its row (``success = TRUE``, ``execution_time = -1``) run in one
  transaction; after ``COMMIT`` the row's ``execution_time`` is set to the elapsed nanoseconds;
- a migration whose file starts with ``-- no-transaction`` runs outside a transaction; if it
  fails, its row is written with ``success = FALSE`` and the database is dirty;
- a revert runs the down script and deletes the row, in one transaction.

Every connection handed to the migrator must be a ``sqlite3.Connection`` opened with
``isolation_level=None`` (the migrator issues ``BEGIN``/``COMMIT`` itself); foreign keys are
switched on before each migration, as sqlx's SQLite driver does by default.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from ..db import driver as drivers
from ..errors import AcodbError, MigrateError, ValidateError
from .source import Migration, MigrationSource
from .sql import NO_TX_MARKER, split_statements


@dataclass(frozen=True)
class AppliedMigration:
    """One row of ``_sqlx_migrations``.

    ``installed_on`` is SQLite's ``CURRENT_TIMESTAMP`` text (UTC, seconds); ``checksum`` the
    48-byte SHA-384 sqlx stored; ``execution_time`` in nanoseconds (``-1`` until the transaction
    committed).
    """

    version: int
    description: str
    installed_on: str
    success: bool
    checksum: bytes
    execution_time: int


def quote(identifier: str) -> str:
    """Quote an SQLite identifier (table, column, index) with double quotes."""
    return '"' + identifier.replace('"', '""') + '"'


Progress = Callable[[str, Migration, int], None]
"""Called after each step with ``("apply" | "revert", migration, elapsed_ns)``."""


class Migrator:
    """Runs a :class:`MigrationSource` against SQLite connections the way sqlx does."""

    def __init__(self, source: MigrationSource) -> None:
        self.source = source
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
        """The rows of the bookkeeping table by version; empty when the table does not exist."""
        exists = conn.execute(
            "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?",
            (self.source.table_name,),
        ).fetchone()
        if not exists:
            return {}
        rows = conn.execute(
            "SELECT version, description, installed_on, success, checksum, execution_time "
            f"FROM {self.table} ORDER BY version"
        ).fetchall()
        return {
            r[0]: AppliedMigration(r[0], r[1], str(r[2]), bool(r[3]), bytes(r[4]), r[5])
            for r in rows
        }

    # -- single steps --------------------------------------------------------------------------

    def apply(self, conn: sqlite3.Connection, migration: Migration) -> int:
        """Apply one migration with its bookkeeping row; returns the elapsed nanoseconds.

        Raises :class:`MigrateError` naming the file, line and statement when its SQL fails; the
        database is then exactly as it was before, unless the migration is ``-- no-transaction``.
        """
        self.ensure_table(conn)
        record = (
            f"INSERT INTO {self.table} (version, description, success, checksum, execution_time) "
            "VALUES (?, ?, ?, ?, -1)"
        )
        start = time.perf_counter_ns()
        if migration.no_tx:
            try:
                self._execute(conn, migration, migration.sql, "apply", dirty=True)
            except MigrateError:
                conn.execute(
                    record, (migration.version, migration.description, False, migration.checksum)
                )
                raise
            conn.execute(
                record, (migration.version, migration.description, True, migration.checksum)
            )
        else:
            with _transaction(conn):
                self._execute(conn, migration, migration.sql, "apply")
                conn.execute(
                    record, (migration.version, migration.description, True, migration.checksum)
                )
        elapsed = time.perf_counter_ns() - start
        conn.execute(
            f"UPDATE {self.table} SET execution_time = ? WHERE version = ?",
            (elapsed, migration.version),
        )
        return elapsed

    def revert(self, conn: sqlite3.Connection, migration: Migration) -> int:
        """Run a migration's down script and delete its row; returns the elapsed nanoseconds.

        Raises :class:`AcodbError` when the migration has no down script and
        :class:`MigrateError` (database unchanged) when the down script fails.
        """
        if migration.down_sql is None:
            raise AcodbError(
                f"{migration.path}: migration {migration.version} has no down script, so it "
                f"cannot be reverted; add {migration.label}.down.sql or stop the revert above it"
            )
        start = time.perf_counter_ns()
        delete = f"DELETE FROM {self.table} WHERE version = ?"
        if migration.down_sql.startswith(NO_TX_MARKER):
            self._execute(conn, migration, migration.down_sql, "revert", dirty=True)
            conn.execute(delete, (migration.version,))
        else:
            with _transaction(conn):
                self._execute(conn, migration, migration.down_sql, "revert")
                conn.execute(delete, (migration.version,))
        return time.perf_counter_ns() - start

    def _execute(
        self,
        conn: sqlite3.Connection,
        migration: Migration,
        sql: str,
        action: str,
        *,
        dirty: bool = False,
    ) -> None:
        path = migration.path if action == "apply" else (migration.down_path or migration.path)
        for statement in split_statements(sql):
            try:
                conn.execute(statement.text)
            except drivers.Error as exc:
                raise MigrateError(
                    version=migration.version,
                    path=path,
                    reason=str(exc),
                    statement=statement.text,
                    line=statement.line,
                    dirty=dirty,
                    action=action,
                ) from exc

    # -- whole runs ----------------------------------------------------------------------------

    def run(
        self,
        conn: sqlite3.Connection,
        target: int | None = None,
        *,
        ignore_missing: bool = False,
        progress: Progress | None = None,
    ) -> list[Migration]:
        """Apply every pending migration (up to ``target`` inclusive); returns those applied.

        Validates first as sqlx does: raises :class:`ValidateError` for a dirty database, an
        applied migration missing from the directory (unless ``ignore_missing``), or an applied
        migration whose checksum differs; :class:`MigrateError` when a migration fails.
        """
        _prepare(conn)
        self.ensure_table(conn)
        problems = [
            p for p in self.validate(conn, ignore_missing=ignore_missing) if p.kind != "pending"
        ]
        if problems:
            raise problems[0]
        if target is not None and self.source.get(target) is None:
            raise AcodbError(
                f"target version {target} is not in {self.source.directory}; pick one of "
                f"{', '.join(str(m.version) for m in self.source) or '(none)'}"
            )
        done = []
        for migration in self.pending(conn, target):
            elapsed = self.apply(conn, migration)
            done.append(migration)
            if progress:
                progress("apply", migration, elapsed)
        return done

    def pending(self, conn: sqlite3.Connection, target: int | None = None) -> list[Migration]:
        """Migrations ``run`` would apply (up to ``target``), without changing anything."""
        applied = self.applied(conn)
        return [
            m
            for m in self.source
            if m.version not in applied and (target is None or m.version <= target)
        ]

    def to_revert(
        self, conn: sqlite3.Connection, target: int | None = None, *, safe: bool = True
    ) -> list[Migration]:
        """Migrations ``undo`` would revert, newest first, without changing anything.

        With ``target=None`` only the newest applied reversible migration; otherwise every applied
        migration above ``target`` (``0`` reverts everything). sqlx skips applied migrations with
        no down script; with ``safe=True`` (the default) an applied simple migration in the way
        raises :class:`AcodbError` instead, because skipping it leaves its changes behind while
        the ones below it are undone.
        """
        applied = self.applied(conn)
        chosen: list[Migration] = []
        for migration in reversed(self.source.migrations):
            if migration.version not in applied:
                continue
            if target is not None and migration.version <= target:
                break
            if not migration.reversible:
                if safe:
                    raise AcodbError(
                        f"{migration.path}: refusing to revert past migration "
                        f"{migration.version}: it is a simple migration with no down script, so "
                        "its changes would stay while older migrations are undone; revert to a "
                        f"version >= {migration.version} or add a down script"
                    )
                continue
            chosen.append(migration)
            if target is None:
                break
        return chosen

    def undo(
        self,
        conn: sqlite3.Connection,
        target: int | None = None,
        *,
        safe: bool = True,
        progress: Progress | None = None,
    ) -> list[Migration]:
        """Revert migrations as :meth:`to_revert` chooses them; returns those reverted."""
        _prepare(conn)
        if target is not None and target != 0 and self.source.get(target) is None:
            raise AcodbError(
                f"target version {target} is not in {self.source.directory}; use 0 to revert "
                "everything or one of the versions listed by `acodb migrate info`"
            )
        done = []
        for migration in self.to_revert(conn, target, safe=safe):
            elapsed = self.revert(conn, migration)
            done.append(migration)
            if progress:
                progress("revert", migration, elapsed)
        return done

    # -- checks before a run (used by the CLI) -----------------------------------------------------

    def preflight(
        self, conn: sqlite3.Connection, *, ignore_missing: bool = False, checksums: bool = True
    ) -> None:
        """Raise the first problem sqlx's CLI would stop on, in sqlx's order; change nothing.

        Order: a dirty row (``ValidateError`` kind ``dirty``), an applied migration missing from
        the directory (kind ``missing``, unless ``ignore_missing``), then, when ``checksums``
        (``run`` checks them, ``revert`` does not), a modified one (``modified`` or
        ``line_endings``). Works on a read-only connection and on a database with no table.
        """
        problems = self.validate(conn, ignore_missing=ignore_missing)
        for kinds in (("dirty",), ("missing",), ("modified", "line_endings") if checksums else ()):
            for problem in problems:
                if problem.kind in kinds:
                    raise problem

    def check_target(
        self, conn: sqlite3.Connection, target: int | None, *, revert: bool = False
    ) -> None:
        """Reject a ``--target-version`` as sqlx-cli does; change nothing.

        Raises :class:`AcodbError` when ``target`` is not a version of the source (``0`` is
        allowed for a revert), when a run targets a version older than the newest applied one,
        or when a revert targets a version newer than the newest applied one.
        """
        if target is None:
            return
        if not (revert and target == 0) and self.source.get(target) is None:
            raise AcodbError(
                f"migration {target} is not present in the migration source "
                f"{self.source.directory}; pick one of "
                f"{', '.join(str(m.version) for m in self.source) or '(none)'}"
                + (" or 0 to revert everything" if revert else "")
            )
        latest = max(self.applied(conn), default=0)
        if not revert and target < latest:
            raise AcodbError(
                f"migration {target} is older than the latest applied migration {latest}; "
                "to go back, use `acodb migrate revert --target-version "
                f"{target}`"
            )
        if revert and target > latest:
            raise AcodbError(
                f"migration {target} is newer than the latest applied migration {latest}; "
                "nothing above it is applied, so there is nothing to revert"
            )

    # -- validation ----------------------------------------------------------------------------

    def validate(
        self, conn: sqlite3.Connection, *, ignore_missing: bool = False
    ) -> list[ValidateError]:
        """Compare an applied database with the directory, as sqlx's migrator does.

        Returns one :class:`ValidateError` per problem (``kind``: ``dirty``, ``missing``,
        ``modified``, ``line_endings``, ``pending``), in version order; empty when the database is
        fully migrated with these exact files.
        """
        applied = self.applied(conn)
        problems: list[ValidateError] = []
        for version, row in applied.items():
            migration = self.source.get(version)
            if not row.success:
                problems.append(
                    ValidateError(
                        f"migration {version} is dirty: it failed part way (a -- no-transaction "
                        "migration) and was never completed; repair the database by hand, then "
                        f"delete its row from {self.source.table_name}",
                        version=version,
                        kind="dirty",
                    )
                )
            elif migration is None:
                if not ignore_missing:
                    problems.append(
                        ValidateError(
                            f"migration {version} ({row.description}) was previously applied but is "
                            f"missing in {self.source.directory}; restore the file, or pass "
                            "--ignore-missing if it was removed on purpose",
                            version=version,
                            kind="missing",
                        )
                    )
            elif migration.checksum != row.checksum:
                problems.append(_modified(migration, row))
        problems.extend(
            ValidateError(
                f"migration {m.version} ({m.description}) is pending: run `acodb migrate run`",
                version=m.version,
                kind="pending",
            )
            for m in self.source
            if m.version not in applied
        )
        return problems


def _modified(migration: Migration, row: AppliedMigration) -> ValidateError:
    data = migration.path.read_bytes()
    if row.checksum in _line_ending_variants(data):
        return ValidateError(
            f"{migration.path}: migration {migration.version} was previously applied but has "
            "been modified: line endings changed (CRLF/LF or a UTF-8 BOM), the SQL is the same; "
            "restore the original bytes (e.g. set `*.sql -text` in .gitattributes) or list "
            '"\\r" in sqlx.toml [migrate] ignored-chars',
            version=migration.version,
            kind="line_endings",
        )
    return ValidateError(
        f"{migration.path}: migration {migration.version} was previously applied but has been "
        f"modified (applied checksum {row.checksum.hex()}, file checksum "
        f"{migration.checksum.hex()}); restore the file and add a new migration for the change",
        version=migration.version,
        kind="modified",
    )


def line_endings_only(data: bytes, old_checksum: bytes) -> bool:
    """True when ``data`` (a file's bytes) hashes to the 48-byte ``old_checksum`` once its line
    endings (LF/CRLF) or a UTF-8 BOM are changed back: the SQL itself is the same."""
    return old_checksum in _line_ending_variants(data)


def _line_ending_variants(data: bytes) -> set[bytes]:
    bom = b"\xef\xbb\xbf"
    bare = data.removeprefix(bom).replace(b"\r\n", b"\n")
    shapes = {bare, bare.replace(b"\n", b"\r\n")}
    shapes |= {bom + s for s in shapes}
    return {hashlib.sha384(s).digest() for s in shapes}


def _prepare(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        raise AcodbError(
            "the connection is inside a transaction; migrations need a connection in autocommit "
            "mode (sqlite3.connect(..., isolation_level=None)) with no open transaction"
        )
    conn.execute("PRAGMA foreign_keys = ON")


@contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, or ``ROLLBACK`` on any exception (which propagates)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
