"""One error hierarchy for the kit, rooted at :class:`AcodbError`.

Every error keeps its data (version, path, statement, line, target, choices, url...) as
attributes, and its message says what happened and what to do next in the engine's words: it
never names a flag, command, option or ini key of a door. Each door adds its own hint by the
error's type (``pytest_acodb.cli.hint`` for the command line, :mod:`pytest_acodb.plugin.hints`
for pytest); nothing decides anything by matching message text.

Failures of built-in checks are :class:`CheckFailure`, an ``AssertionError`` so that pytest
reports them as test failures rather than errors.
"""

from __future__ import annotations

import errno as _errno
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any


class AcodbError(Exception):
    """Base class of every error raised by pytest-acodb."""


# -- SQLite's result codes -------------------------------------------------------------------

SQLITE_PERM = 3
SQLITE_BUSY = 5
SQLITE_LOCKED = 6
SQLITE_NOMEM = 7
SQLITE_READONLY = 8
SQLITE_INTERRUPT = 9
SQLITE_IOERR = 10
SQLITE_CORRUPT = 11
SQLITE_FULL = 13
SQLITE_CANTOPEN = 14
SQLITE_NOTADB = 26

_ADVICE = {
    SQLITE_READONLY: (
        "the database is read-only (a mode=ro URL, or file or directory permissions): "
        "open it read-write"
    ),
    SQLITE_BUSY: (
        "another process holds a lock on the database: stop it (or wait for it) and try again"
    ),
    SQLITE_LOCKED: "another connection holds a lock on the database: close it and try again",
    SQLITE_NOTADB: "the file is not a SQLite database (or is encrypted): check the path",
    SQLITE_CANTOPEN: "the file or its directory cannot be opened: check the path",
    SQLITE_FULL: (
        "the disk is full (or the database reached its size limit): free space and try again"
    ),
    SQLITE_IOERR: "the disk failed or the file changed underneath SQLite: check the disk",
    SQLITE_CORRUPT: "the database file is corrupt: restore it from a backup",
    SQLITE_PERM: "the operating system refused access: check the file's permissions",
    SQLITE_NOMEM: "SQLite ran out of memory",
    SQLITE_INTERRUPT: "the operation was interrupted",
}


def sqlite_advice(code: int | None) -> str | None:
    """What to do about a SQLite error whose cause is not the SQL itself, from its (extended or
    primary) result ``code``: a read-only or locked database, a file that is not a database or
    cannot be opened, a full or failing disk, corruption. ``None`` for other codes (a constraint,
    a syntax error: the SQL is at fault) and when the driver gave no code."""
    return None if code is None else _ADVICE.get(code & 0xFF)


# -- the SQLite driver and extensions ------------------------------------------------------------


class BundledSourceError(AcodbError):
    """Something tried to write into the migrations bundled with the package (they are read
    only: another project's files). Attributes: ``directory``."""

    def __init__(self, directory: Path) -> None:
        super().__init__(
            f"{directory} holds the bundled acolib migrations, which are read only: copy them "
            "into your project's migrations directory and work there"
        )
        self.directory = directory


class DriverError(AcodbError):
    """The SQLite driver asked for is unknown or cannot be imported.

    Attributes: ``driver`` (the name asked for), ``problem`` (what is wrong and what to do).
    """

    def __init__(self, driver: str, problem: str) -> None:
        super().__init__(f"SQLite driver {driver!r}: {problem}")
        self.driver = driver
        self.problem = problem


class ExtensionError(AcodbError):
    """A SQLite extension listed for every connection cannot be loaded.

    Attributes: ``extension`` (the entry as listed: a module name or a library path),
    ``problem`` (what went wrong and what to do).
    """

    def __init__(self, extension: str, problem: str) -> None:
        super().__init__(f"SQLite extension {extension!r}: {problem}")
        self.extension = extension
        self.problem = problem


# -- databases and their URLs ----------------------------------------------------------------


class SqliteUrlError(AcodbError):
    """A database URL that sqlx would not accept, or whose database cannot be opened.

    Attributes: ``url`` (the URL as given), ``problem`` (what is wrong and what to do).
    """

    def __init__(self, url: str, problem: str) -> None:
        super().__init__(f"database URL {url!r}: {problem}")
        self.url = url
        self.problem = problem


class DatabaseMissingError(SqliteUrlError):
    """The database file of a URL does not exist, and the URL does not create it.

    Attributes: ``url``, ``path`` (the missing file), ``read_only`` (true when a read-only open
    was asked for, which never creates a file, even with ``mode=rwc``), ``creates`` (the URL
    says ``mode=rwc``).
    """

    def __init__(self, url: str, path: Path, *, read_only: bool, creates: bool) -> None:
        todo = (
            "a read-only open never creates it"
            if read_only and creates
            else "create it first, or add ?mode=rwc to the URL to create it"
        )
        super().__init__(
            url, f"the database file {path} does not exist (sqlx does not create it either); {todo}"
        )
        self.path = path
        self.read_only = read_only
        self.creates = creates


class NotADatabaseError(SqliteUrlError):
    """The file a URL names is not a SQLite database (or not a regular file).

    Attributes: ``url``, ``path``, ``kind`` (``"no header"`` for a file without SQLite's
    ``SQLite format 3`` header, else what the path is: ``"directory"``, ``"FIFO"``...).
    """

    def __init__(self, url: str, path: Path, kind: str) -> None:
        problem = (
            f"{path} is not a SQLite database (no 'SQLite format 3' header); check the path"
            if kind == "no header"
            else f"{path} is a {kind}, not a database file; check the path"
        )
        super().__init__(url, problem)
        self.path = path
        self.kind = kind


class NoDatabaseUrlError(AcodbError):
    """No database URL was given and ``DATABASE_URL`` is set neither in the environment nor in
    a ``.env`` file. Attributes: ``dotenv`` (the ``.env`` file read, or ``None``)."""

    def __init__(self, dotenv: Path | None, forms: str) -> None:
        where = f"the environment or {dotenv}" if dotenv else "the environment or a .env file"
        super().__init__(
            f"no database URL: DATABASE_URL is not set in {where}; set it, e.g. "
            f"DATABASE_URL=sqlite:orchestrator.db (accepted forms: {forms})"
        )
        self.dotenv = dotenv


class DatabaseError(AcodbError):
    """SQLite refused to open, read or write a database, outside of any migration's SQL (the
    bookkeeping, a read-only open, a backup...).

    Attributes: ``path`` (the database file, or ``None`` in memory), ``reason`` (SQLite's
    message), ``code`` (SQLite's result code, or ``None``), ``hot_journal`` (true when the file
    has a hot journal that a read-only connection cannot roll back), ``detail`` (what the kit
    found out about the cause, e.g. a directory that does not exist, or ``None``).
    """

    def __init__(
        self,
        path: Path | None,
        reason: str,
        code: int | None,
        *,
        hot_journal: bool = False,
        detail: str | None = None,
    ) -> None:
        where = str(path) if path is not None else "the in-memory database"
        if hot_journal:
            todo = (
                f"the database has a hot journal ({path}-journal): a write was interrupted (a "
                "crash or a kill) and must be rolled back, which a read-only connection cannot "
                "do; open the database read-write once (any read-write connection rolls it "
                "back), then try again"
            )
        else:
            todo = detail or sqlite_advice(code) or "see SQLite's message"
        super().__init__(f"{where}: SQLite says {reason}; {todo}")
        self.path = path
        self.reason = reason
        self.code = code
        self.hot_journal = hot_journal
        self.detail = detail

    @classmethod
    def from_driver(
        cls, error: BaseException, path: Path | None, detail: str | None = None
    ) -> DatabaseError:
        """The error for a driver's SQLite ``error`` on the database file ``path``: its result
        code is read from the driver (``sqlite_errorcode``), and a read-only refusal of a file
        that has a non-empty ``-journal`` beside it is reported as a hot journal."""
        code = getattr(error, "sqlite_errorcode", None)
        code = code if isinstance(code, int) else None
        journal = Path(f"{path}-journal") if path is not None else None
        hot = (
            code is not None
            and code & 0xFF == SQLITE_READONLY
            and journal is not None
            and journal.is_file()
            and journal.stat().st_size > 0
        )
        return cls(path, str(error), code, hot_journal=hot, detail=detail)


class BackupError(AcodbError):
    """The backup copy of a database could not be written; nothing was changed and no partial
    copy is left. Attributes: ``database``, ``backup`` (the copy's path), ``reason``, ``code``
    (SQLite's result code or ``None``)."""

    def __init__(self, database: Path, backup: Path, reason: str, code: int | None) -> None:
        advice = (
            sqlite_advice(code)
            if code not in (None, SQLITE_CANTOPEN)
            else "make its directory writable"
        )
        super().__init__(
            f"cannot write the backup {backup} of {database}: {reason}; {advice}; the database "
            "was not changed"
        )
        self.database = database
        self.backup = backup
        self.reason = reason
        self.code = code


class BookkeepingError(AcodbError):
    """The migrations table exists but is not what sqlx writes (a column missing, a NULL or
    wrongly typed value), so neither sqlx nor the kit can read it.

    Attributes: ``table``, ``problem``, ``version`` (the row at fault, or ``None``).
    """

    def __init__(self, table: str, problem: str, version: object = None) -> None:
        super().__init__(
            f"the migrations table {table} {problem}; sqlx cannot read it either: repair the "
            "table by hand (or restore the database from a backup)"
        )
        self.table = table
        self.problem = problem
        self.version = version


class TransactionOpenError(AcodbError):
    """A connection handed to the migrator is inside a transaction; migrations need one in
    autocommit mode with no open transaction."""

    def __init__(self) -> None:
        super().__init__(
            "the connection is inside a transaction; migrations need a connection in autocommit "
            "mode (isolation_level=None) with no open transaction: commit or roll back first"
        )


_LOCK_ADVICE = {
    _errno.ENAMETOOLONG: (
        "the lock file's name is the database's plus .acodb-migrate.lock: use a shorter "
        "database file name"
    ),
    _errno.EROFS: (
        "the database's file system is read-only, so it cannot be migrated there: copy the "
        "database to a writable place"
    ),
    _errno.EISDIR: "a directory has the lock file's name: remove it",
    _errno.ENOENT: "the database's directory does not exist",
    _errno.ENOSPC: "the disk is full: free space and try again",
}


class MigrationLockError(AcodbError):
    """The migration lock file next to a database cannot be created or locked.

    Attributes: ``lock_file``, ``database`` (the resolved database file), ``reason`` (the
    operating system's words), ``errno`` (or ``None``).
    """

    def __init__(
        self,
        lock_file: Path,
        database: Path,
        reason: str,
        errno: int | None = None,
        message: str | None = None,
    ) -> None:
        super().__init__(
            message
            or f"cannot create the migration lock file {lock_file} for {database}: {reason}; "
            + _LOCK_ADVICE.get(
                errno or 0, "the lock file sits next to the database: make that directory writable"
            )
        )
        self.lock_file = lock_file
        self.database = database
        self.reason = reason
        self.errno = errno


class MigrationLockTimeout(MigrationLockError):
    """Another process held the migration lock for longer than the wait allowed.

    Attributes: ``lock_file``, ``database``, ``waited`` (seconds).
    """

    def __init__(self, lock_file: Path, database: Path, waited: float) -> None:
        super().__init__(
            lock_file,
            database,
            "timeout",
            message=f"another migration run holds {lock_file} on {database} (waited "
            f"{waited:.0f} s); wait for it to finish, or delete the lock file if no such "
            "process is running",
        )
        self.waited = waited


# -- migrations directories ------------------------------------------------------------------


class SourceError(AcodbError):
    """A migrations directory or file cannot be used as sqlx would use it.

    Attributes: ``path`` (the offending file or directory, or ``None``).
    """

    def __init__(self, message: str, path: Path | None = None) -> None:
        super().__init__(message)
        self.path = path


class SourceDirectoryError(SourceError):
    """The migrations directory does not exist, or is not a directory.

    Attributes: ``path``, ``exists`` (true when the path exists but is not a directory).
    """

    def __init__(self, path: Path, *, exists: bool) -> None:
        message = (
            f"{path}: is a file, not a migrations directory; give the directory holding the "
            ".sql files"
            if exists
            else f"{path}: migrations directory does not exist; give an existing directory"
        )
        super().__init__(message, path)
        self.exists = exists


class VersionNameError(SourceError):
    """A file name's prefix before the first ``_`` is not an i64, which sqlx rejects.

    Attributes: ``path`` (the name as a path), ``prefix``.
    """

    def __init__(self, name: str, prefix: str) -> None:
        super().__init__(
            f"{name}: cannot read the version {prefix!r}: sqlx expects an integer version "
            "before the first underscore (e.g. 20250115000001_create_tasks.sql); rename the file",
            Path(name),
        )
        self.prefix = prefix


class DuplicateVersionError(SourceError):
    """Two or more files resolve to the same sqlx version.

    Attributes: ``clashes``, a dict from each shared version to every file that claims it
    (sorted); ``version`` and ``paths``, the lowest such version and its files.
    """

    def __init__(self, clashes: dict[int, list[Path]], taken: frozenset[int] = frozenset()) -> None:
        parts = [
            f"version {v} is claimed by {len(ps)} files: {', '.join(p.name for p in ps)}"
            for v, ps in sorted(clashes.items())
        ]
        self.clashes = clashes
        self.version = min(clashes)
        self.paths = clashes[self.version]
        migrations = {re.sub(r"(\.up|\.down)?\.sql$", "", p.name) for p in self.paths}
        free = free_versions(self.version, len(migrations) - 1, taken | set(clashes))
        advice = (
            f"keep {self.version} for one of them and give the others "
            + ", ".join(str(v) for v in free)
            if free
            else "renumber them and the migrations after them"
        )
        super().__init__(
            "; ".join(parts) + ". sqlx reads the version as the digits before the first "
            "underscore (a signed 64-bit integer), so these files collide; give each a version "
            f"of its own in the order they must run: {advice}",
            self.paths[0],
        )


class FileReadError(SourceError):
    """A file of the migrations directory cannot be read.

    Attributes: ``path``, ``reason`` (the operating system's words), ``errno``, ``broken_link``
    (a symlink whose target is missing).
    """

    def __init__(self, path: Path, reason: str, errno: int | None, *, broken_link: bool) -> None:
        todo = (
            "if it is a symlink, its target is missing: restore it or remove the link"
            if broken_link
            else "check its permissions"
        )
        super().__init__(f"{path}: cannot read the file ({reason}); {todo}", path)
        self.reason = reason
        self.errno = errno
        self.broken_link = broken_link


class NotRegularFileError(SourceError):
    """A path that must be a regular file is a FIFO, a device, a socket or a directory
    (reading it could block forever or never end). Attributes: ``path``, ``kind``."""

    def __init__(self, path: Path, kind: str) -> None:
        super().__init__(
            f"{path}: is a {kind}, not a regular file; only regular files are read: replace it "
            "with a file or move it out of the directory",
            path,
        )
        self.kind = kind


class FileTooLargeError(SourceError):
    """A file is larger than the kit reads. Attributes: ``path``, ``size`` and ``limit``
    (bytes)."""

    def __init__(self, path: Path, size: int, limit: int) -> None:
        super().__init__(
            f"{path}: is {size} bytes, more than the {limit // 2**20} MiB the kit reads from "
            "one file; split it into smaller migrations",
            path,
        )
        self.size = size
        self.limit = limit


class NotUtf8Error(SourceError):
    """A file is not valid UTF-8. Attributes: ``path``, ``position`` (offset of the first bad
    byte)."""

    def __init__(self, path: Path, position: int, what: str = "sqlx reads migrations") -> None:
        super().__init__(
            f"{path}: not valid UTF-8 (byte {position}); {what} as UTF-8: re-save the file as "
            "UTF-8",
            path,
        )
        self.position = position


class SqlxTomlError(SourceError):
    """A ``sqlx.toml`` is not valid TOML or holds a setting of the wrong shape.

    Attributes: ``path``, ``key`` (the setting at fault, e.g. ``"migrate.table-name"``, or
    ``None`` for a syntax error), ``problem``.
    """

    def __init__(self, path: Path, problem: str, key: str | None = None) -> None:
        where = f"{path}: {key}" if key else str(path)
        super().__init__(f"{where}: {problem}; fix it", path)
        self.key = key
        self.problem = problem


class ChecksumLockError(SourceError):
    """A checksum lock file (``acodb.lock``) cannot be read or has a malformed line.

    Attributes: ``path``, ``line`` (1-based, or ``None``), ``problem``.
    """

    def __init__(self, path: Path, problem: str, line: int | None = None) -> None:
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {problem}", path)
        self.line = line
        self.problem = problem


class LockMissingError(SourceError):
    """A migrations directory has no checksum lock file. Attributes: ``path`` (the lock file
    that should exist)."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"no lock file {path}; create it and commit it", path)


class LockMismatchError(SourceError):
    """A migration no longer matches the checksum lock (returned, not raised, by
    ``verify_lock``).

    Attributes: ``version``, ``kind`` (``"edited"``, ``"line_endings"``, ``"renamed"``,
    ``"removed"``, ``"renumbered"``, ``"out_of_order"``), ``path`` (the migration's file, or
    ``None`` when it was removed), ``new_version`` (for ``"renumbered"``) and ``newest`` (the
    newest locked version, for ``"out_of_order"``).
    """

    def __init__(
        self,
        message: str,
        *,
        version: int,
        kind: str,
        path: Path | None = None,
        new_version: int | None = None,
        newest: int | None = None,
    ) -> None:
        super().__init__(message, path)
        self.version = version
        self.kind = kind
        self.new_version = new_version
        self.newest = newest


class DescriptionError(SourceError):
    """A new migration's description is empty or holds a path separator.

    Attributes: ``description``."""

    def __init__(self, description: str) -> None:
        super().__init__(
            f"{description!r} is not a usable migration description; give a few words such as "
            "'add users table' (no slashes)"
        )
        self.description = description


class NumberingError(SourceError):
    """A new migration was asked to be numbered both sequentially and by timestamp."""

    def __init__(self) -> None:
        super().__init__("number a new migration sequentially or by timestamp, not both")


class MigrationExistsError(SourceError):
    """A new migration's version or file already exists.

    Attributes: ``path`` (the directory or file), ``version`` (the clashing version text, or
    ``None`` when a file name clashes).
    """

    def __init__(self, path: Path, version: str | None = None) -> None:
        message = (
            f"version {version} already exists in {path}; timestamps have one-second "
            "resolution: wait a second and try again, or number it sequentially"
            if version is not None
            else f"{path} already exists; pick another description"
        )
        super().__init__(message, path)
        self.version = version


# -- applying and reverting --------------------------------------------------------------------
def free_versions(version: int, count: int, taken: set[int] | frozenset[int]) -> list[int]:
    """``count`` versions just above ``version`` that no migration in ``taken`` uses and that
    still come before the next taken version, each a valid sqlx version (a signed 64-bit
    integer); empty when there is no such room."""
    following = min((t for t in taken if t > version), default=2**63)
    found = list(range(version + 1, min(version + 1 + count, following, 2**63)))
    return found if len(found) == count else []


class MigrateError(AcodbError):
    """A migration's SQL failed while applying or reverting it.

    The database is left as it was before that migration (unless it ran with
    ``-- no-transaction``, in which case ``dirty`` is true and its row says ``success = FALSE``).

    Attributes: ``version`` (int), ``path`` (the file whose SQL failed), ``statement`` (the failing
    statement's text, or ``None``), ``line`` (1-based line of that statement in the file, or
    ``None``), ``reason`` (SQLite's message), ``code`` (SQLite's result code, or ``None``),
    ``dirty`` (bool), ``action`` (``"apply"`` or ``"revert"``), ``needs`` (``"newer-sqlite"``
    when the SQLite in use is older than a feature the statement uses, ``"extension"`` when it
    calls a function SQLite does not have built in, else ``None``: see
    :mod:`pytest_acodb.db.features`).
    """

    def __init__(
        self,
        *,
        version: int,
        path: Path | None,
        reason: str,
        statement: str | None = None,
        line: int | None = None,
        dirty: bool = False,
        action: str = "apply",
        code: int | None = None,
        state: str | None = None,
        todo: str | None = None,
        needs: str | None = None,
    ) -> None:
        self.version = version
        self.path = path
        self.reason = reason
        self.statement = statement
        self.line = line
        self.dirty = dirty
        self.action = action
        self.code = code
        self.needs = needs
        where = str(path) if path is not None else f"migration {version}"
        if line is not None:
            where += f":{line}"
        shown = f" in statement `{shorten(statement)}`" if statement is not None else ""
        if state is None and dirty:
            done = "applied" if action == "apply" else "reverted"
            state = (
                f"it ran outside a transaction (-- no-transaction), so it is partly {done} and "
                f"the database is now dirty (its row says success = FALSE): repair it by hand, "
                f"then delete the row of version {version} from the migrations table"
                + ("" if action == "apply" else " (or set its success back to TRUE)")
            )
        elif state is None:
            state = "the database was rolled back to its state before this migration"
        todo = todo or sqlite_advice(code) or "fix the SQL and try again"
        super().__init__(
            f"{where}: failed to {action} migration {version}{shown}: {reason}; {state}; {todo}"
        )


class TransactionControlError(MigrateError):
    """A migration that runs inside the migrator's transaction holds a statement that begins,
    commits or rolls back a transaction (``BEGIN``, ``COMMIT``, ``END``, ``ROLLBACK``), or a
    statement ended that transaction. The migration stops at that statement.

    Attributes: those of :class:`MigrateError`, plus ``ended`` (true when the transaction was
    already ended by the statement, so what ran before it may be committed; false when the
    statement was refused before it ran and the database is as it was).
    """

    def __init__(
        self,
        *,
        version: int,
        path: Path | None,
        statement: str,
        line: int | None,
        action: str = "apply",
        ended: bool = False,
    ) -> None:
        if ended:
            reason = "this statement ended the transaction the migration runs in"
            state = (
                "the statements before it may be committed, the rest did not run and nothing "
                "was recorded: check the database by hand"
            )
        else:
            reason = (
                "a migration runs inside one transaction with its bookkeeping row, so it must "
                "not begin, commit or roll back a transaction itself"
            )
            state = "it was rolled back and nothing was recorded: the database is as it was"
        super().__init__(
            version=version,
            path=path,
            reason=reason,
            statement=statement,
            line=line,
            action=action,
            state=state,
            todo=(
                "remove the statement, or make the file start with -- no-transaction to run it "
                "outside a transaction"
            ),
        )
        self.ended = ended


def shorten(statement: str, limit: int = 200) -> str:
    """``statement`` on one line, cut to ``limit`` characters with ``...``."""
    flat = " ".join(statement.split())
    return flat[:limit] + ("..." if len(flat) > limit else "")


class NotReversibleError(AcodbError):
    """An applied migration has no down script, so it cannot be reverted.

    Attributes: ``version``, ``path`` (its file), ``label`` (version and stem).
    """

    def __init__(self, version: int, path: Path, label: str, message: str | None = None) -> None:
        super().__init__(
            message
            or f"{path}: migration {version} has no down script, so it cannot be reverted; add "
            f"{label}.down.sql or stop the revert above it"
        )
        self.version = version
        self.path = path
        self.label = label


class SimpleMigrationInTheWayError(NotReversibleError):
    """A revert would have to pass an applied simple migration (no down script): sqlx skips it,
    leaving its changes while older migrations are undone; the kit refuses unless told to skip.

    Attributes: ``version``, ``path``, ``label``.
    """

    def __init__(self, version: int, path: Path, label: str) -> None:
        super().__init__(
            version,
            path,
            label,
            f"{path}: refusing to revert past migration {version}: it is a simple migration with "
            "no down script, so its changes would stay while older migrations are undone; "
            f"revert to a version >= {version} or add a down script",
        )


class TargetError(AcodbError):
    """A target version that a run or revert cannot use. Attributes: ``target``."""

    def __init__(self, message: str, target: int) -> None:
        super().__init__(message)
        self.target = target


class TargetNotFoundError(TargetError):
    """The target version is not a migration of the source (``0`` is allowed for a revert).

    Attributes: ``target``, ``choices`` (the source's versions), ``directory``, ``revert``.
    """

    def __init__(
        self, target: int, choices: Sequence[int], directory: Path, *, revert: bool
    ) -> None:
        listed = ", ".join(map(str, choices)) or "(none)"
        super().__init__(
            f"migration {target} is not present in the migration source {directory}; pick one "
            f"of {listed}" + (" or 0 to revert everything" if revert else ""),
            target,
        )
        self.choices = tuple(choices)
        self.directory = directory
        self.revert = revert


class TargetTooOldError(TargetError):
    """A run's target is older than the newest applied migration (sqlx's ``VersionTooOld``).

    Attributes: ``target``, ``latest``.
    """

    def __init__(self, target: int, latest: int) -> None:
        super().__init__(
            f"migration {target} is older than the latest applied migration {latest}; a run only "
            f"goes up: to go back to {target}, revert the migrations above it",
            target,
        )
        self.latest = latest


class TargetTooNewError(TargetError):
    """A revert's target is newer than the newest applied migration (sqlx's
    ``VersionTooNew``). Attributes: ``target``, ``latest``."""

    def __init__(self, target: int, latest: int) -> None:
        super().__init__(
            f"migration {target} is newer than the latest applied migration {latest}; nothing "
            "above it is applied, so there is nothing to revert",
            target,
        )
        self.latest = latest


class NothingToMigrateError(AcodbError):
    """A step up with nothing pending, or a step down with nothing applied.

    Attributes: ``direction`` (``"up"`` or ``"down"``)."""

    def __init__(self, direction: str) -> None:
        super().__init__(
            "every migration is applied already; nothing to migrate up"
            if direction == "up"
            else "no migration is applied; nothing to migrate down"
        )
        self.direction = direction


# -- validation: an applied database against a directory ---------------------------------------


class ValidateError(AcodbError):
    """An applied database does not match a migrations directory (sqlx's validation).

    Attributes: ``version`` (int) and ``kind``: one of ``"dirty"``, ``"missing"``, ``"modified"``,
    ``"pending"``, ``"line_endings"`` (each kind is also a subclass).
    """

    def __init__(self, message: str, *, version: int, kind: str) -> None:
        super().__init__(message)
        self.version = version
        self.kind = kind


class DirtyMigrationError(ValidateError):
    """An applied migration's row says ``success = FALSE`` (a ``-- no-transaction`` migration
    failed or was interrupted part way). Attributes: ``version``, ``table``."""

    def __init__(self, version: int, table: str) -> None:
        super().__init__(
            f"migration {version} is dirty: it failed or was interrupted part way (a "
            "-- no-transaction migration) and was never completed; repair the database by "
            f"hand, then delete its row from {table}",
            version=version,
            kind="dirty",
        )
        self.table = table


class MissingMigrationError(ValidateError):
    """A migration was applied but its file is not in the directory (sqlx's
    ``VersionMissing``). Attributes: ``version``, ``description``, ``directory``."""

    def __init__(self, version: int, description: str, directory: Path) -> None:
        super().__init__(
            f"migration {version} ({description}) was previously applied but is missing in "
            f"{directory}; restore the file, or ignore missing migrations if it was removed on "
            "purpose",
            version=version,
            kind="missing",
        )
        self.description = description
        self.directory = directory


class ModifiedMigrationError(ValidateError):
    """An applied migration's file no longer has the checksum recorded (sqlx's
    ``VersionMismatch``).

    Attributes: ``version``, ``path``, ``applied_checksum`` and ``local_checksum`` (48 bytes
    each).
    """

    def __init__(
        self,
        version: int,
        path: Path,
        applied_checksum: bytes,
        local_checksum: bytes,
        message: str | None = None,
        kind: str = "modified",
    ) -> None:
        super().__init__(
            message
            or f"{path}: migration {version} was previously applied but has been modified "
            f"(applied checksum {applied_checksum.hex()}, file checksum "
            f"{local_checksum.hex()}); restore the file and add a new migration for the change",
            version=version,
            kind=kind,
        )
        self.path = path
        self.applied_checksum = applied_checksum
        self.local_checksum = local_checksum


class LineEndingsChangedError(ModifiedMigrationError):
    """An applied migration's file differs from what was applied only in its line endings
    (CRLF/LF) or a UTF-8 BOM. Attributes: those of :class:`ModifiedMigrationError`."""

    def __init__(
        self, version: int, path: Path, applied_checksum: bytes, local_checksum: bytes
    ) -> None:
        super().__init__(
            version,
            path,
            applied_checksum,
            local_checksum,
            f"{path}: migration {version} was previously applied but has been modified: line "
            "endings changed (CRLF/LF or a UTF-8 BOM), the SQL is the same; restore the "
            "original bytes (e.g. set `*.sql -text` in .gitattributes) or list "
            '"\\r" in sqlx.toml [migrate] ignored-chars',
            kind="line_endings",
        )


class PendingMigrationError(ValidateError):
    """A migration of the directory is not applied yet. Attributes: ``version``,
    ``description``."""

    def __init__(self, version: int, description: str) -> None:
        super().__init__(
            f"migration {version} ({description}) is pending: apply it",
            version=version,
            kind="pending",
        )
        self.description = description


# -- checks ----------------------------------------------------------------------------------


class NoSessionError(AcodbError):
    """A factory was called with no SQLAlchemy session bound for it to write to."""

    def __init__(self) -> None:
        super().__init__(
            "no SQLAlchemy session is bound for the pytest-acodb factories: in a test, request "
            "the acodb_session fixture (or a fixture built on it) in the test or fixture that "
            "calls the factory (in a thread of its own, bind it there: the binding is per "
            "thread); outside pytest, call "
            "pytest_acodb.synth.session.bind_session(session) first (and unbind_session(token) "
            "after)"
        )


class FactoryError(AcodbError):
    """A generated factory cannot make a valid row of ``table``.

    Attributes: ``table``, ``reason`` (names the constraint: a CHECK the row's values fail, a NOT
    NULL key to a missing table, a cycle of NOT NULL keys; never a row's values, which may be
    secret).
    """

    def __init__(self, table: str, reason: str) -> None:
        super().__init__(f"cannot make a row of {table}: {reason}")
        self.table = table
        self.reason = reason


class MarkerError(AcodbError):
    """A ``@pytest.mark.acodb(...)`` marker with an argument it does not take or a bad value.

    Attributes: ``argument`` (the keyword, or ``None`` for positional arguments), ``value``
    (what was given), ``allowed`` (what would be accepted, in words).
    """

    def __init__(self, argument: str | None, value: object, allowed: str) -> None:
        shown = f"{argument}={value!r}" if argument else f"{value!r}"
        super().__init__(f"@pytest.mark.acodb({shown}): {allowed}")
        self.argument = argument
        self.value = value
        self.allowed = allowed


class RowError(AcodbError):
    """The row synthesiser cannot do what was asked.

    Attributes: ``table`` (the table concerned), ``column`` (or ``None``), ``detail`` (extra
    data: the values tried, the row looked for, the tables known...).
    """

    def __init__(
        self, message: str, *, table: str, column: str | None = None, detail: Any = None
    ) -> None:
        super().__init__(message)
        self.table = table
        self.column = column
        self.detail = detail


class SynthesisError(RowError):
    """The row synthesiser cannot make a row its table accepts.

    Attributes: ``table``; ``constraint``, what refuses the rows (``CHECK (...)``, ``trigger
    t_guard``, ``UNIQUE constraint failed: t.c``...); ``reason``, SQLite's last message, which
    names the constraint but never a value; ``check``, the text of the CHECK expression when a
    CHECK is what refuses them, else ``None``. The message never shows row values (they may
    hold secrets) and says how to help: supply values for the columns concerned.
    """

    def __init__(
        self, table: str, constraint: str, reason: str = "", *, check: str | None = None
    ) -> None:
        self.constraint = constraint
        self.reason = reason
        self.check = check
        said = f" (SQLite: {reason})" if reason and reason not in constraint else ""
        super().__init__(
            f"cannot make a valid row for table {table}: {constraint} rejects every "
            f"candidate{said}; supply values for the columns it reads (value providers: "
            "table.column = value)",
            table=table,
        )


class UnknownCheckError(AcodbError):
    """No built-in check has this name for this migrations directory.

    Attributes: ``name`` (``kind[subject]`` as asked for), ``directory`` (the migrations
    directory), ``choices`` (the names of that kind's checks there, possibly empty).
    """

    def __init__(self, name: str, directory: Path, choices: list[str]) -> None:
        listed = ", ".join(choices[:10]) + (" ..." if len(choices) > 10 else "")
        super().__init__(
            f"no built-in check {name} for the migrations in {directory}"
            + (f"; that kind has: {listed}" if choices else "; there is no check of that kind")
        )
        self.name = name
        self.directory = directory
        self.choices = choices


class CheckFailure(AssertionError):
    """A built-in check found a problem; the message says what differs.

    Attributes: ``check`` (the check kind, e.g. ``"round_trip"``), ``subject`` (what it was run
    on, e.g. ``"20250115000003"`` or ``"comments.post_id"``), ``error`` (the kit's error it
    reports, when there is one, else ``None``).
    """

    def __init__(
        self, message: str, *, check: str = "", subject: str = "", error: AcodbError | None = None
    ) -> None:
        super().__init__(message)
        self.check = check
        self.subject = subject
        self.error = error


class CheckSkipped(AcodbError):
    """A built-in check does not apply to this schema (e.g. no down file, no trigger).

    Raised by a check; the pytest collection turns it into a skip with ``reason`` as its text.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class CheckWarning(CheckSkipped):
    """A built-in check found a risk rather than a bug (a missing foreign-key index, a duplicate
    index, CRLF line endings...), or a check graded ``"warn"`` by the ``severity`` of
    :func:`~pytest_acodb.checks.plan` found a problem.

    Attributes: ``message`` (what was found and what to do), ``check`` (the check kind, e.g.
    ``"lint"``), ``subject`` (e.g. ``"fk_index:comments.post_id"``). It subclasses
    :class:`CheckSkipped` (with ``reason`` equal to ``message``) so that code that only knows
    skips reports a warning as a skip, never as a failure; catch it before ``CheckSkipped``.
    """

    def __init__(self, message: str, *, check: str = "", subject: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.check = check
        self.subject = subject


class SeverityError(AcodbError):
    """A severity setting names an unknown check kind or lint, or an unknown level.

    Attributes: ``key``, ``level`` (``None`` when the key is at fault), ``choices`` (the valid
    keys or levels).
    """

    def __init__(
        self, message: str, *, key: str, level: str | None = None, choices: Sequence[str] = ()
    ) -> None:
        super().__init__(message)
        self.key = key
        self.level = level
        self.choices = tuple(choices)


class MetadataSpecError(AcodbError):
    """An import spec of SQLAlchemy models (``package.module:Base.metadata``) cannot be loaded.

    Attributes: ``spec``."""

    def __init__(self, message: str, *, spec: str) -> None:
        super().__init__(message)
        self.spec = spec


class AcodbWarning(UserWarning):
    """The Python warning a built-in check emits for a :class:`CheckWarning` (a risk, not a bug);
    pytest lists it under "warnings summary". Filter it like any warning, e.g.
    ``-W error::pytest_acodb.errors.AcodbWarning`` to make warnings fail."""


# -- test databases, factories and rows ---------------------------------------------------------


class IsolationError(AcodbError):
    """A test did something isolation ``rollback`` refuses (DDL, a PRAGMA change, ending the
    outer transaction, another connection writing). The shared database has been restored.

    Attributes: ``problems``, one sentence per thing that went wrong.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            "isolation=rollback refuses this test: " + "; ".join(problems) + ". The shared "
            "database was restored for the next test. Run this test on its own copy of the "
            'database instead: @pytest.mark.acodb(isolation="clone")'
        )


class NoTemplateError(AcodbError):
    """A database holder was asked for before any template was given to it."""

    def __init__(self, message: str = "Databases.get: no template given") -> None:
        super().__init__(message)


class ConnectionLeakError(AcodbError):
    """A test ended with a connection to its database still open and holding a lock (an
    unfinished transaction, an unread query result), which would make the next test wait on it.
    The test's database has been replaced by a fresh one for the next test.

    Attributes: ``holder`` (what holds the lock, in words), ``memory`` (True for an in-memory
    database, where a reader also waits on another connection's flushed, uncommitted write).
    """

    def __init__(self, holder: str, *, memory: bool) -> None:
        self.holder = holder
        self.memory = memory
        coarse = (
            " (in memory, SQLite's memdb locks the whole database: a reader also waits on a "
            "flushed, uncommitted write, where a file lets readers in until the commit)"
            if memory
            else ""
        )
        super().__init__(
            f"the test left {holder} open on its database, holding a lock{coarse}: close it "
            "before the test ends (connection.close(), session.close(), or a `with` block); "
            "the next test was given a new database"
        )


class AttachRefusedError(AcodbError):
    """A migration ``ATTACH``es a database file while the kit builds a test template; the kit
    refuses, as it never writes to files other than the test's database.

    Attributes: ``version`` (the migration's), ``path`` (its file), ``file`` (what it attaches).
    """

    def __init__(self, version: int, path: Path | None, file: str) -> None:
        self.version = version
        self.path = path
        self.file = file
        where = path.name if path is not None else f"migration {version}"
        super().__init__(
            f"{where}: migration {version} ATTACHes the file {file!r}; building the test "
            "template would write to that real file on every run, so the kit refuses: keep "
            "ATTACH of real files out of the migrations (or attach ':memory:')"
        )


class RefillError(AcodbError):
    """A kept test database cannot be refilled page by page (a test changed its page size or
    journal mode); isolation ``clone`` moves to a new database. Attributes: ``reason``."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class SqlFixtureError(AcodbError):
    """A SQL fixture file (``@pytest.mark.acodb(fixtures=[...])``) cannot be found, read or
    applied. Nothing of it, nor of the fixtures applied before it for the same test, stays in
    the database.

    Attributes: ``name`` (as the marker gives it), ``path`` (the file, or ``None`` when none was
    found), ``line`` (1-based line of the failing statement, or ``None``), ``statement`` (its
    text, or ``None``), ``reason`` (what went wrong and what to do).
    """

    def __init__(
        self,
        name: str,
        reason: str,
        *,
        path: Path | None = None,
        line: int | None = None,
        statement: str | None = None,
    ) -> None:
        self.name = name
        self.path = path
        self.line = line
        self.statement = statement
        self.reason = reason
        where = f"{path}:{line}" if path is not None and line is not None else str(path or name)
        shown = ""
        if statement is not None:
            flat = " ".join(statement.split())
            shown = f" in statement `{flat[:200]}{'...' if len(flat) > 200 else ''}`"
        super().__init__(f"SQL fixture {where}{shown}: {reason}")


class MigrationsChangedError(AcodbError):
    """Under xdist, the migrations a worker is about to template differ from those the run
    started with (edited mid-run), so workers would test different schemas.

    Attributes: ``directory``, ``started`` and ``found`` (the two fingerprints)."""

    def __init__(self, directory: Path, started: str, found: str) -> None:
        self.directory = directory
        self.started = started
        self.found = found
        super().__init__(
            f"the migrations in {directory} changed after the run started (the run began with "
            f"{started[:12]}, this worker found {found[:12]}), so xdist workers would test "
            "different schemas; run again once they stop changing"
        )


class ReadOnlyDatabaseError(AcodbError):
    """A write (or a wait on a lock) through an engine on a read-only URL the kit handed out
    (``acodb_url`` under isolation ``rollback``). Attributes: ``url``."""

    def __init__(self, url: str, message: str) -> None:
        self.url = url
        super().__init__(message)


class ValueKeyError(AcodbError):
    """A supplied value's key is not ``table.column``, or an ``acodb_values`` line has no
    ``=``. Attributes: ``key`` (the key or line as given)."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        super().__init__(message)
