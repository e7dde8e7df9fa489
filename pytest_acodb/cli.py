"""The ``acodb`` command: sqlx-cli's ``migrate`` verbs for SQLite, without a Rust toolchain.

A door onto the engine: it parses arguments, asks :mod:`pytest_acodb.migrate` (plans, statuses,
the migration lock), :mod:`pytest_acodb.db` and :mod:`pytest_acodb.schema`, and prints. Output
lines match sqlx-cli's (``Applied 20250115000001/migrate create tasks (1.234ms)``). An error is
one ``error: ...`` line on stderr: the engine's message, plus this door's hint naming the flag
or command that helps (:func:`hint`). Exit status: 0 on success, 1 on failure, 2 for a usage
error, 130 when interrupted. A closed standard output (``acodb schema | head``) never stops a
migration and never prints a traceback: the rest of the output is dropped and the exit status
is the work's.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from collections.abc import Callable, Sequence
from contextlib import closing
from pathlib import Path

from . import bundled_migrations_dir
from .db import driver as drivers
from .db.connect import Connector
from .db.urls import FORMS, SqliteTarget, database_url, parse_sqlite_url
from .errors import (
    AcodbError,
    BundledSourceError,
    ChecksumLockError,
    DatabaseMissingError,
    LockMismatchError,
    LockMissingError,
    MigrateError,
    MigrationExistsError,
    MissingMigrationError,
    NoDatabaseUrlError,
    NumberingError,
    PendingMigrationError,
    SimpleMigrationInTheWayError,
    SourceDirectoryError,
    TargetNotFoundError,
    TargetTooOldError,
    sqlite_advice,
)
from .migrate import Migration, Migrator, State, resolve
from .migrate.migrator import format_elapsed
from .migrate.plan import RevertPlan, RunPlan

_URL_HELP = (
    "database URL (default: $DATABASE_URL, else DATABASE_URL from a .env file in the current "
    f"directory or a parent). Forms: {FORMS}. A missing file is an error unless the URL says "
    "mode=rwc, which creates it (as in sqlx: `sqlx migrate run` does not create databases)"
)


def hint(error: BaseException) -> str | None:
    """What the command line adds to an engine error: the flag or command that helps, chosen by
    the error's type (never its text); ``None`` when the engine's words say it all."""
    if isinstance(error, SourceDirectoryError):
        return "give the migrations directory with --source DIR (default: migrations)"
    if isinstance(error, MissingMigrationError):
        return "--ignore-missing ignores it"
    if isinstance(error, SimpleMigrationInTheWayError):
        return "or pass --skip-simple to skip it as sqlx does"
    if isinstance(error, TargetTooOldError):
        return f"`acodb migrate revert --target-version {error.target}` goes back to it"
    if isinstance(error, TargetNotFoundError):
        return "`acodb migrate info` lists the versions"
    if isinstance(error, NoDatabaseUrlError):
        return "or pass -D/--database-url URL"
    if isinstance(error, DatabaseMissingError) and error.read_only and error.creates:
        return "a --dry-run never creates it"
    if isinstance(error, LockMissingError):
        return "`acodb migrate lock` writes it"
    if isinstance(error, ChecksumLockError):
        return "`acodb migrate lock` rewrites it"
    if isinstance(error, LockMismatchError) and error.kind == "renamed":
        return "`acodb migrate lock` rewrites the lock"
    if isinstance(error, MigrationExistsError) and error.version is not None:
        return "-s/--sequential numbers it sequentially"
    if isinstance(error, NumberingError):
        return "pass -s/--sequential or -t/--timestamp, not both"
    if isinstance(error, MigrateError) and error.needs == "newer-sqlite":
        return "--sqlite-driver sqlean (pip install sqlean-py) runs SQLite 3.50"
    if isinstance(error, MigrateError) and error.needs == "extension":
        return (
            "load the extension with --sqlite-extension NAME (or the ACODB_SQLITE_EXTENSIONS "
            "environment variable)"
        )
    if isinstance(error, MigrateError) and error.dirty:
        return "`acodb migrate info` shows it as dirty"
    if isinstance(error, PendingMigrationError):
        return "`acodb migrate run` applies it"
    return None


def describe(error: BaseException) -> str:
    """The error's message with the command line's :func:`hint`, on one line."""
    extra = hint(error)
    return " ".join(f"{error}{'; ' + extra if extra else ''}".split())


def _out(text: str = "", end: str = "\n") -> None:
    """Print to stdout; once the reader has gone (a closed pipe), drop the rest quietly."""
    try:
        sys.stdout.write(text + end)
        sys.stdout.flush()
    except BrokenPipeError:
        _drop_stdout()


def _drop_stdout() -> None:
    # Python's documented way: point stdout at devnull, so that nothing (not even the flush at
    # exit) writes to the closed pipe again.
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a real file (captured output)
        pass
    finally:
        os.close(devnull)


def _line(verb: str, migration: Migration, label: str, elapsed: int = 0) -> str:
    return f"{verb} {migration.version}/{label} {migration.description} ({format_elapsed(elapsed)})"


def _progress(action: str, migration: Migration, elapsed: int) -> None:
    _out(_line("Applied", migration, "migrate" if action == "apply" else "revert", elapsed))


# -- shared helpers --------------------------------------------------------------------------


def _target(args: argparse.Namespace) -> SqliteTarget:
    return parse_sqlite_url(database_url(args.database_url, dotenv=not args.no_dotenv))


DRIVER_ENV = "ACODB_SQLITE_DRIVER"
"""Environment variable naming the SQLite driver when ``--sqlite-driver`` is not given."""
EXTENSIONS_ENV = "ACODB_SQLITE_EXTENSIONS"
"""Environment variable listing SQLite extensions to load (one per line or comma-separated),
added to the ``--sqlite-extension`` options."""


def connector(args: argparse.Namespace) -> Connector:
    """The connector every database of this command is opened with: the driver of
    ``--sqlite-driver`` (or ``$ACODB_SQLITE_DRIVER``, else the default) and the extensions of
    ``--sqlite-extension`` plus ``$ACODB_SQLITE_EXTENSIONS``. Raises ``DriverError`` or
    ``ExtensionError`` (one line) for a driver or extension that cannot be used."""
    name = getattr(args, "sqlite_driver", None) or os.environ.get(DRIVER_ENV) or None
    listed = [*(getattr(args, "sqlite_extension", None) or [])]
    listed += os.environ.get(EXTENSIONS_ENV, "").replace(",", "\n").splitlines()
    extensions = tuple(dict.fromkeys(e.strip() for e in listed if e.strip()))
    chosen = Connector(drivers.load(name), extensions)
    if extensions:
        chosen.check()
    return chosen


BUNDLED = "@acolib"
"""The ``--source`` value that names the acolib migrations bundled with the package."""


def source_dir(args: argparse.Namespace, *, writing: bool = False) -> Path:
    """The migrations directory of ``--source``: ``@acolib`` is the bundled acolib one (inside
    the installed package; read-only for ``add`` and ``lock``, which raise
    :class:`~pytest_acodb.errors.BundledSourceError` when ``writing``)."""
    if args.source != BUNDLED:
        return Path(args.source)
    if writing:
        raise BundledSourceError(bundled_migrations_dir())
    return bundled_migrations_dir()


def _open(
    target: SqliteTarget, options: argparse.Namespace, *, read_only: bool
) -> sqlite3.Connection:
    """A connection to ``target``; ``read_only`` opens it with ``mode=ro`` (nothing can be
    written, so the file stays byte-identical), and a file that ``mode=rwc`` would create
    reads as an empty database and is not created."""
    chosen = connector(options)
    if read_only and target.missing and target.creates:
        return parse_sqlite_url("sqlite::memory:").connect(connector=chosen)
    return target.connect(read_only=read_only, connector=chosen)


def _backup(
    args: argparse.Namespace, target: SqliteTarget, conn: sqlite3.Connection, *, existed: bool
) -> Callable[[object], None] | None:
    """The hook the engine calls before its first change: back the file up (when it existed
    before this run opened it) and say where."""
    if target.memory or args.no_backup or not existed:
        return None

    def back_up(_plan: object) -> None:
        _out(f"Backed up {target.path} to {target.backup(conn)}")

    return back_up


# -- verbs ---------------------------------------------------------------------------------------


def cmd_run(args: argparse.Namespace) -> int:
    """``acodb migrate run``: the engine's run plan, carried out (or, with --dry-run, shown)."""
    migrator = Migrator(resolve(source_dir(args)))
    target = _target(args)
    existed = target.exists()
    with closing(_open(target, args, read_only=args.dry_run)) as conn:
        plan: RunPlan = migrator.run(
            conn,
            args.target_version,
            ignore_missing=args.ignore_missing,
            dry_run=args.dry_run,
            before=_backup(args, target, conn, existed=existed),
            progress=_progress,
        )
    if args.dry_run:
        for migration in plan.apply:
            _out(_line("Can apply", migration, "migrate"))
    for migration in plan.skip:
        _out(_line("Skipped", migration, "migrate"))
    return 0


def cmd_revert(args: argparse.Namespace) -> int:
    """``acodb migrate revert``: the engine's revert plan, carried out (or shown)."""
    migrator = Migrator(resolve(source_dir(args)))
    target = _target(args)
    existed = target.exists()
    with closing(_open(target, args, read_only=args.dry_run)) as conn:
        plan: RevertPlan = migrator.undo(
            conn,
            args.target_version,
            skip_simple=args.skip_simple,
            ignore_missing=args.ignore_missing,
            dry_run=args.dry_run,
            before=_backup(args, target, conn, existed=existed),
            progress=_progress,
        )
    if args.dry_run:
        for migration in plan.revert:
            _out(_line("Can apply", migration, "revert"))
    for migration in plan.keep:
        _out(_line("Skipped", migration, "revert"))
    if not plan.revert and not plan.keep:
        _out("No migrations available to revert")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    """``acodb migrate info`` (also ``status``, ``list``): the engine's status of each
    migration."""
    migrator = Migrator(resolve(source_dir(args)))
    with closing(_open(_target(args), args, read_only=True)) as conn:
        statuses = migrator.status(conn)
    table, directory = migrator.source.table_name, migrator.source.directory
    for status in statuses:
        head = f"{status.version}/"
        if status.state is State.MISSING:
            _out(f"{head}missing {status.description} (applied, but no file in {directory})")
        elif status.state is State.PENDING:
            _out(f"{head}pending {status.description}")
        elif status.state is State.DIRTY:
            _out(f"{head}installed (dirty) {status.description}")
            _out(
                "partially applied or reverted (a -- no-transaction migration failed or was "
                f"interrupted); repair the database, then delete its row from {table}"
            )
        elif status.state in (State.MODIFIED, State.LINE_ENDINGS):
            assert status.applied_checksum is not None and status.local_checksum is not None
            _out(f"{head}installed (different checksum) {status.description}")
            _out(f"applied migration had checksum {status.applied_checksum.hex()}")
            _out(f"local migration has checksum {status.local_checksum.hex()}")
            if status.state is State.LINE_ENDINGS:
                _out("line endings changed (CRLF/LF or a UTF-8 BOM); the SQL is the same")
        else:
            _out(f"{head}installed {status.description}")
    return 0


def cmd_rehearse(args: argparse.Namespace) -> int:
    """``acodb migrate rehearse``: the engine's rehearsal of the pending migrations on a copy
    of the database, one block per migration; exit status 1 when one fails or changes values
    it does not write by name."""
    from .migrate.rehearse import Rehearsal

    rehearsal = Rehearsal(resolve(source_dir(args)), _target(args).url, connector(args))
    if rehearsal.blocked is not None:
        raise rehearsal.blocked
    if not rehearsal.pending:
        _out("No pending migrations to rehearse")
        return 0
    failed = False
    for step in rehearsal.run():
        migration = step.migration
        if step.error is not None:
            failed = True
            broken = f" ({step.broken_rows} row(s) break it)" if step.broken_rows else ""
            _out(f"FAILED {migration.version}/{migration.description}{broken}")
            _out(f"  {describe(step.error)}")
            continue
        assert step.elapsed_ns is not None
        _out(
            f"Rehearsed {migration.version}/{migration.description} "
            f"({format_elapsed(step.elapsed_ns)}, {step.written} row(s) written)"
        )
        for table, rows in step.rows.items():
            if rows.before != rows.after:
                _out(f"  {table}: {_rows(rows.before)} -> {_rows(rows.after)} rows")
        for (table, column), count in step.changed_values.items():
            failed = True
            _out(
                f"  CHANGED {table}.{column} in {count} row(s) that kept their key, though "
                "the migration never writes that column by name"
            )
    reached = {s.migration.version for s in rehearsal.run()}
    for migration in rehearsal.pending:
        if migration.version not in reached:
            _out(f"Not reached {migration.version}/{migration.description}")
    if failed:
        _error(f"the rehearsal of {_target(args).url} found problems, listed above")
        return 1
    return 0


def _rows(count: int | None) -> str:
    return "(no table)" if count is None else str(count)


def cmd_add(args: argparse.Namespace) -> int:
    """``acodb migrate add``."""
    from .migrate.add import add_migration

    reversible = True if args.reversible else False if args.simple else None
    for path in add_migration(
        source_dir(args, writing=True),
        args.description,
        reversible=reversible,
        sequential=args.sequential,
        timestamp=args.timestamp,
    ):
        _out(f"Creating {Path(args.source) / path.name}")
    return 0


def cmd_lock(args: argparse.Namespace) -> int:
    """``acodb migrate lock``."""
    from .migrate.lockfile import write_lock

    source = resolve(source_dir(args, writing=True))
    path = write_lock(source)
    _out(f"Wrote {path} ({len(source)} migrations); commit it")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    """``acodb migrate verify``: each problem on stdout, then one error line."""
    from .migrate.lockfile import lock_path, verify_lock

    source = resolve(source_dir(args))
    problems = verify_lock(source, required=True)
    for problem in problems:
        _out(describe(problem))
    path = lock_path(source)
    if problems:
        _error(f"{path}: {len(problems)} locked migration problem(s), listed above")
        return 1
    _out(f"OK: {len(source)} migrations match {path}")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    """``acodb schema``: the schema snapshot of the migrated template (or of a database),
    rendered."""
    from .db.template import Template
    from .migrate.migrator import database_errors
    from .migrate.source import DEFAULT_TABLE_NAME, read_sqlx_toml
    from .schema import render, snapshot

    if args.database_url:
        directory = source_dir(args)
        table = read_sqlx_toml(directory)[0] if directory.is_dir() else DEFAULT_TABLE_NAME
        conn = _open(parse_sqlite_url(args.database_url), args, read_only=True)
    else:
        source = resolve(source_dir(args))
        table = source.table_name
        template = Template(source, connector=connector(args))
        conn = template.connector.open_image(template.image)
    with closing(conn), database_errors(conn):
        schema = snapshot(conn, exclude=(table,))
    if args.format == "json":
        _out(render.to_json(schema))
    elif args.format == "mermaid":
        _out(render.to_mermaid(schema), end="")
    else:
        _out(render.to_sql(schema), end="")
    return 0


# -- parser --------------------------------------------------------------------------------------


def _sqlite() -> argparse.ArgumentParser:
    """The options every verb that opens a database shares: the driver and the extensions."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--sqlite-driver",
        choices=tuple(drivers.DRIVERS),
        help="the DB-API driver: sqlean (default: SQLite 3.50 with extension loading; the "
        f"sqlean-py package) or sqlite3 (the standard library's); default ${DRIVER_ENV}",
    )
    parent.add_argument(
        "--sqlite-extension",
        action="append",
        metavar="NAME",
        help="load this SQLite extension into every connection (repeatable): an importable "
        "module with load(connection), such as sqlite_vec, or the path of a loadable library; "
        f"also read from ${EXTENSIONS_ENV} (one per line or comma-separated)",
    )
    return parent


def _common(*, database: bool) -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False, parents=[_sqlite()] if database else [])
    parent.add_argument(
        "--source",
        default="migrations",
        metavar="DIR",
        help="folder containing the migrations (default: %(default)s); @acolib: the acolib "
        "migrations bundled with pytest-acodb",
    )
    if database:
        parent.add_argument("-D", "--database-url", metavar="URL", help=_URL_HELP)
        parent.add_argument(
            "--no-dotenv", action="store_true", help="do not read DATABASE_URL from a .env file"
        )
    return parent


def _verb(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    handler: Callable[[argparse.Namespace], int],
    help_text: str,
    *,
    parents: Sequence[argparse.ArgumentParser],
    aliases: Sequence[str] = (),
) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        name, help=help_text, description=help_text, aliases=list(aliases), parents=list(parents)
    )
    parser.set_defaults(handler=handler)
    return parser


def _version(version: str) -> str:
    """``acodb 0.2.0 (SQLite: sqlean 3.50.4)``: the driver ``$ACODB_SQLITE_DRIVER`` (or the
    default) names and its SQLite, said to be older than sqlx's when it is."""
    try:
        driver = drivers.load(os.environ.get(DRIVER_ENV) or None)
    except AcodbError as error:
        return f"acodb {version} ({error})"
    return f"acodb {version} (SQLite: {driver.describe()})"


def build_parser() -> argparse.ArgumentParser:
    """The ``acodb`` argument parser (``migrate run|revert|info|add|lock|verify``, ``schema``)."""
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="acodb",
        description="sqlx-compatible SQLite migrations for the acolib orchestrator",
    )
    parser.add_argument("--version", action="version", version=_version(__version__))
    top = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    migrate = top.add_parser(
        "migrate",
        aliases=["mig"],
        help="create, run and check migrations",
        description="create, run and check sqlx migrations",
    )
    sub = migrate.add_subparsers(dest="verb", required=True, metavar="VERB")
    db, src = _common(database=True), _common(database=False)

    run = _verb(sub, "run", cmd_run, "run all pending migrations", parents=[db])
    revert = _verb(
        sub,
        "revert",
        cmd_revert,
        "revert the latest migration (refusing to skip a simple migration with no down "
        "script unless --skip-simple)",
        parents=[db],
    )
    for verb, what in (
        (
            run,
            "list the migrations to be run without applying them (the "
            "database is opened read-only and stays byte-identical)",
        ),
        (revert, "list the migrations to be reverted without reverting them"),
    ):
        verb.add_argument("--dry-run", action="store_true", help=what)
        verb.add_argument(
            "--ignore-missing",
            action="store_true",
            help="ignore applied migrations that are missing from --source",
        )
        verb.add_argument(
            "--no-backup",
            action="store_true",
            help="do not write <database>.<UTC time>.bak (VACUUM INTO) before "
            "changing a database file",
        )
    safety = (
        "On a database file, acodb holds <database>.acodb-migrate.lock while it works, so "
        "concurrent runs wait for each other and apply each migration once, and backs the "
        "file up with VACUUM INTO before the first change (unless --no-backup)."
    )
    run.epilog = revert.epilog = safety
    run.add_argument(
        "--target-version",
        type=int,
        metavar="V",
        help="apply migrations up to V (inclusive); V must not be older than the "
        "newest applied migration",
    )
    revert.add_argument(
        "--target-version",
        type=int,
        metavar="V",
        help="revert every migration above V (0 reverts all); default: only the latest",
    )
    revert.add_argument(
        "--skip-simple",
        action="store_true",
        help="as sqlx: silently skip applied migrations that have no down script "
        "(their changes stay); by default the revert stops with an error",
    )

    _verb(
        sub,
        "info",
        cmd_info,
        "list all migrations and their status",
        parents=[db],
        aliases=["status", "list"],
    )

    _verb(
        sub,
        "rehearse",
        cmd_rehearse,
        "apply the pending migrations to a copy of the database (the original is only read) "
        "and report, per migration, the time it took on this data, the rows of each table "
        "before and after, values it changed without writing their column, and the statement "
        "and number of rows that break it",
        parents=[db],
    )

    add = _verb(
        sub,
        "add",
        cmd_add,
        "create a new migration; the version continues a sequence "
        "(0001, 0002...) when one is in use, else is the UTC time",
        parents=[src],
    )
    add.add_argument("description", help="e.g. 'add users table' (spaces become underscores)")
    kind = add.add_mutually_exclusive_group()
    kind.add_argument(
        "-r",
        "--reversible",
        action="store_true",
        help="create an up/down pair (default: like the newest migration)",
    )
    kind.add_argument("--simple", action="store_true", help="create one simple .sql file")
    numbering = add.add_mutually_exclusive_group()
    numbering.add_argument(
        "-t",
        "--timestamp",
        action="store_true",
        help="use a UTC timestamp version (YYYYmmddHHMMSS)",
    )
    numbering.add_argument(
        "-s", "--sequential", action="store_true", help="use the next sequential version"
    )

    _verb(
        sub,
        "lock",
        cmd_lock,
        "write <source>/acodb.lock: version, description and SHA-384 "
        "of every migration (commit it)",
        parents=[src],
    )
    _verb(
        sub,
        "verify",
        cmd_verify,
        "check the migrations against <source>/acodb.lock: fails "
        "when a locked migration was edited, removed or renumbered (no database needed)",
        parents=[src],
    )

    schema = _verb(
        top,
        "schema",
        cmd_schema,
        "print the normalised schema the migrations "
        "build (in a fresh in-memory database), or of --database-url",
        parents=[src, _sqlite()],
    )
    schema.add_argument(
        "-D",
        "--database-url",
        metavar="URL",
        help=f"read this database instead (read-only; not taken from DATABASE_URL). Forms: {FORMS}",
    )
    schema.add_argument(
        "--format",
        choices=("sql", "json", "mermaid"),
        default="sql",
        help="sql (CREATE statements), json, or a mermaid erDiagram (default: %(default)s)",
    )
    return parser


def _error(message: str) -> None:
    _out(end="")  # flush what came before, so stdout and stderr keep their order
    print(f"error: {' '.join(message.split())}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``acodb`` with ``argv`` (default ``sys.argv[1:]``); returns the exit status.

    Expected failures (:class:`~pytest_acodb.errors.AcodbError`, the driver's SQLite errors,
    ``OSError``) print one ``error: ...`` line on stderr and return 1; usage errors return 2,
    ``--help`` 0, Ctrl-C 130.
    """
    for stream in (sys.stdout, sys.stderr):  # a file name that is not UTF-8 prints escaped
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    try:
        code = int(args.handler(args))
    except AcodbError as exc:
        _error(describe(exc))
        return 1
    except drivers.Error as exc:
        where = getattr(args, "database_url", None) or "the database"
        advice = sqlite_advice(drivers.error_code(exc)) or "see SQLite's message"
        _error(f"{where}: SQLite says {exc}; {advice}")
        return 1
    except BrokenPipeError:
        _drop_stdout()
        return 0
    except OSError as exc:
        _error(str(exc))
        return 1
    except KeyboardInterrupt:
        _error(
            "interrupted: the migration in progress was rolled back (a -- no-transaction one "
            "is left marked dirty: see `acodb migrate info`), so the database is as it was "
            "after the last migration reported; run again to continue"
        )
        return 130
    _out(end="")
    return code


if __name__ == "__main__":
    raise SystemExit(main())
