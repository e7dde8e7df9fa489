"""The ``acodb`` command: sqlx-cli's ``migrate`` verbs for SQLite, without a Rust toolchain.

Argument parsing and output only; the work is done by :mod:`pytest_acodb.migrate`,
:mod:`pytest_acodb.urls`, :mod:`pytest_acodb.schema` and :mod:`pytest_acodb.diagram`. Output lines
match sqlx-cli's (``Applied 20250115000001/migrate create tasks (1.234ms)``). Exit status: 0 on
success, 1 with one ``error: ...`` line on stderr on failure, 2 for a usage error.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, closing, contextmanager
from pathlib import Path

from .db import driver as drivers
from .db.urls import FORMS, SqliteTarget, database_url, parse_sqlite_url
from .errors import AcodbError, sqlite_hint
from .migrate import Migration, MigrationSource, Migrator, resolve

_URL_HELP = (
    "database URL (default: $DATABASE_URL, else DATABASE_URL from a .env file in the current "
    f"directory or a parent). Forms: {FORMS}. A missing file is an error unless the URL says "
    "mode=rwc, which creates it (as in sqlx: `sqlx migrate run` does not create databases)"
)


def format_elapsed(ns: int) -> str:
    """A duration in nanoseconds as Rust's ``Duration`` Debug prints it: ``0ns``, ``850ns``,
    ``12.5µs``, ``1.234567ms``, ``2.5s`` (largest unit >= 1, fraction without trailing zeros)."""
    for unit, size, digits in (("s", 10**9, 9), ("ms", 10**6, 6), ("µs", 10**3, 3)):
        if ns >= size:
            whole, frac = divmod(ns, size)
            text = f"{frac:0{digits}d}".rstrip("0")
            return f"{whole}.{text}{unit}" if text else f"{whole}{unit}"
    return f"{max(ns, 0)}ns"


def _line(verb: str, migration: Migration, label: str, elapsed: int = 0) -> str:
    return f"{verb} {migration.version}/{label} {migration.description} ({format_elapsed(elapsed)})"


# -- shared helpers --------------------------------------------------------------------------


def _target(args: argparse.Namespace) -> SqliteTarget:
    return parse_sqlite_url(database_url(args.database_url, dotenv=not args.no_dotenv))


def _open_read_only(target: SqliteTarget) -> sqlite3.Connection:
    """A connection that cannot change the database: ``mode=ro``; a file that ``mode=rwc`` would
    create reads as an empty database, and is not created."""
    if target.path is not None and not target.path.exists() and target.creates:
        return parse_sqlite_url("sqlite::memory:").connect()
    return target.connect(read_only=True)


def _connection(
    args: argparse.Namespace, target: SqliteTarget
) -> AbstractContextManager[sqlite3.Connection]:
    """Read-only for ``--dry-run`` (the file stays byte-identical), else :func:`_migrating`."""
    return closing(_open_read_only(target)) if args.dry_run else _migrating(target)


@contextmanager
def _migrating(target: SqliteTarget) -> Iterator[sqlite3.Connection]:
    """A writable connection, holding the database's migration lock for a file."""
    if target.memory:
        with closing(target.connect()) as conn:
            yield conn
        return
    from filelock import Timeout

    target.check_openable()
    lock = target.lock()
    try:
        lock.acquire()
    except Timeout:
        raise AcodbError(
            f"another `acodb migrate` holds {lock.lock_file} on {target.path} (waited "
            f"{lock.timeout:.0f} s); wait for it to finish, or delete the lock file if no such "
            "process is running"
        ) from None
    try:
        with closing(target.connect()) as conn:
            yield conn
    finally:
        lock.release()


def _backup(
    args: argparse.Namespace, target: SqliteTarget, conn: sqlite3.Connection, *, existed: bool
) -> None:
    if target.memory or args.no_backup or not existed:
        return
    path = target.backup(conn)
    print(f"Backed up {target.path} to {path}")


# -- verbs ---------------------------------------------------------------------------------------


def cmd_run(args: argparse.Namespace) -> int:
    """``acodb migrate run``."""
    migrator = Migrator(resolve(args.source))
    target = _target(args)
    version = args.target_version
    existed = target.exists()
    with _connection(args, target) as conn:
        migrator.preflight(conn, ignore_missing=args.ignore_missing)
        migrator.check_target(conn, version)
        pending = migrator.pending(conn)
        chosen = [m for m in pending if version is None or m.version <= version]
        if args.dry_run:
            for migration in chosen:
                print(_line("Can apply", migration, "migrate"))
        elif chosen:
            _backup(args, target, conn, existed=existed)
            migrator.run(
                conn,
                version,
                ignore_missing=args.ignore_missing,
                progress=lambda _a, m, ns: print(_line("Applied", m, "migrate", ns), flush=True),
            )
        for migration in pending[len(chosen) :]:
            print(_line("Skipped", migration, "migrate"))
    return 0


def cmd_revert(args: argparse.Namespace) -> int:
    """``acodb migrate revert``."""
    migrator = Migrator(resolve(args.source))
    target = _target(args)
    version = args.target_version
    existed = target.exists()
    with _connection(args, target) as conn:
        migrator.preflight(conn, ignore_missing=args.ignore_missing, checksums=False)
        migrator.check_target(conn, version, revert=True)
        try:
            chosen = migrator.to_revert(conn, version, safe=not args.skip_simple)
        except AcodbError as exc:
            raise AcodbError(f"{exc}; or pass --skip-simple to skip it as sqlx does") from exc
        applied = migrator.applied(conn)
        kept = (
            []
            if version is None
            else [
                m
                for m in reversed(migrator.source.migrations)
                if m.version in applied and m.reversible and m.version <= version
            ]
        )
        if args.dry_run:
            for migration in chosen:
                print(_line("Can apply", migration, "revert"))
        elif chosen:
            _backup(args, target, conn, existed=existed)
            migrator.undo(
                conn,
                version,
                safe=not args.skip_simple,
                progress=lambda _a, m, ns: print(_line("Applied", m, "revert", ns), flush=True),
            )
        for migration in kept:
            print(_line("Skipped", migration, "revert"))
        if not chosen and not kept:
            print("No migrations available to revert")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    """``acodb migrate info`` (also ``status``, ``list``)."""
    migrator = Migrator(resolve(args.source))
    with closing(_open_read_only(_target(args))) as conn:
        applied = migrator.applied(conn)
        kinds = {p.version: p.kind for p in migrator.validate(conn, ignore_missing=False)}
    for version in sorted({m.version for m in migrator.source} | set(applied)):
        migration, row = migrator.source.get(version), applied.get(version)
        if migration is None:
            assert row is not None
            print(
                f"{version}/missing {row.description} (applied, but no file in "
                f"{migrator.source.directory})"
            )
            continue
        if row is None:
            print(f"{version}/pending {migration.description}")
            continue
        if not row.success:
            print(f"{version}/installed (dirty) {migration.description}")
            print(
                "partially applied (a -- no-transaction migration failed); repair the "
                f"database, then delete its row from {migrator.source.table_name}"
            )
        elif row.checksum != migration.checksum:
            print(f"{version}/installed (different checksum) {migration.description}")
            print(f"applied migration had checksum {row.checksum.hex()}")
            print(f"local migration has checksum {migration.checksum.hex()}")
            if kinds.get(version) == "line_endings":
                print("line endings changed (CRLF/LF or a UTF-8 BOM); the SQL is the same")
        else:
            print(f"{version}/installed {migration.description}")
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    """``acodb migrate add``."""
    from .migrate.add import add_migration

    reversible = True if args.reversible else False if args.simple else None
    for path in add_migration(
        args.source,
        args.description,
        reversible=reversible,
        sequential=args.sequential,
        timestamp=args.timestamp,
    ):
        print(f"Creating {Path(args.source) / path.name}")
    return 0


def cmd_lock(args: argparse.Namespace) -> int:
    """``acodb migrate lock``."""
    from .migrate.lockfile import write_lock

    source = resolve(args.source)
    path = write_lock(source)
    print(f"Wrote {path} ({len(source)} migrations); commit it")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    """``acodb migrate verify``."""
    from .migrate.lockfile import lock_path, verify_lock

    source = resolve(args.source)
    path = lock_path(source)
    if not path.exists():
        raise AcodbError(f"no lock file {path}; create it with `acodb migrate lock` and commit it")
    problems = verify_lock(source)
    for problem in problems:
        print(problem)
    if problems:
        raise AcodbError(f"{path}: {len(problems)} locked migration problem(s), listed above")
    print(f"OK: {len(source)} migrations match {path}")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    """``acodb schema``."""
    from .db.connect import connect
    from .migrate.source import DEFAULT_TABLE_NAME, read_sqlx_toml
    from .schema import snapshot

    if args.database_url:
        table = (
            read_sqlx_toml(Path(args.source))[0]
            if Path(args.source).is_dir()
            else (DEFAULT_TABLE_NAME)
        )
        conn = _open_read_only(parse_sqlite_url(args.database_url))
    else:
        source: MigrationSource = resolve(args.source)
        table = source.table_name
        conn = connect(":memory:")
        try:
            Migrator(source).run(conn)
        except BaseException:
            conn.close()
            raise
    with closing(conn):
        schema = snapshot(conn, exclude=(table,))
    from .schema import render

    if args.format == "json":
        print(render.to_json(schema))
    elif args.format == "mermaid":
        print(render.to_mermaid(schema), end="")
    else:
        print(render.to_sql(schema), end="")
    return 0


# -- parser --------------------------------------------------------------------------------------


def _common(*, database: bool) -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--source",
        default="migrations",
        metavar="DIR",
        help="folder containing the migrations (default: %(default)s)",
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


def build_parser() -> argparse.ArgumentParser:
    """The ``acodb`` argument parser (``migrate run|revert|info|add|lock|verify``, ``schema``)."""
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="acodb",
        description="sqlx-compatible SQLite migrations for the acolib orchestrator",
    )
    parser.add_argument("--version", action="version", version=f"acodb {__version__}")
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
        parents=[src],
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


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``acodb`` with ``argv`` (default ``sys.argv[1:]``); returns the exit status.

    Expected failures (:class:`AcodbError`, ``sqlite3.Error``, ``OSError``) print one
    ``error: ...`` line on stderr and return 1; usage errors return 2, ``--help`` 0.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    try:
        return int(args.handler(args))
    except AcodbError as exc:
        message = str(exc)
    except drivers.Error as exc:
        where = getattr(args, "database_url", None) or "the database"
        message = f"{where}: SQLite says {exc}; {sqlite_hint(str(exc)) or 'see the SQLite docs'}"
    except OSError as exc:
        message = str(exc)
    except KeyboardInterrupt:
        message = (
            "interrupted: the migration in progress was rolled back (unless it was a "
            "-- no-transaction one: then see `acodb migrate info`), so the database is as "
            "it was after the last migration reported; run again to continue"
        )
        sys.stdout.flush()
        print(f"error: {message}", file=sys.stderr)
        return 130
    sys.stdout.flush()
    print(f"error: {' '.join(message.split())}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
