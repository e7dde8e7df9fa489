"""One error hierarchy for the kit, rooted at :class:`AcodbError`.

Every error keeps its data (version, path, statement) as attributes and says in its message what
to do next. Failures of built-in checks are :class:`CheckFailure`, an ``AssertionError`` so that
pytest reports them as test failures rather than errors.
"""

from __future__ import annotations

from pathlib import Path


class AcodbError(Exception):
    """Base class of every error raised by pytest-acodb."""


_SQLITE_HINTS = (
    (
        "readonly",
        "the database is read-only (a mode=ro URL, or file or directory permissions): "
        "open it read-write",
    ),
    (
        "database is locked",
        "another process holds a lock on the database: stop it (or wait for it) and run again",
    ),
    ("not a database", "the file is not a SQLite database: check the path or URL"),
    (
        "unable to open",
        "the file or its directory does not exist or cannot be opened: check the "
        "path, or use mode=rwc to create it",
    ),
    ("disk i/o error", "the disk failed or is full: free space and check the file"),
)


def sqlite_hint(reason: str) -> str | None:
    """What to do about a SQLite error message when its cause is not the SQL itself, else None.

    Covers read-only databases, locks, files that are not databases, unopenable paths and I/O
    errors (SQLite's own wording, matched case-insensitively).
    """
    lower = reason.lower()
    return next((hint for key, hint in _SQLITE_HINTS if key in lower), None)


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


class SourceError(AcodbError):
    """A migrations directory or file cannot be used as sqlx would use it.

    Attributes: ``path`` (the offending file or directory, or ``None``).
    """

    def __init__(self, message: str, path: Path | None = None) -> None:
        super().__init__(message)
        self.path = path


class DuplicateVersionError(SourceError):
    """Two or more files resolve to the same sqlx version.

    Attributes: ``clashes``, a dict from each shared version to every file that claims it
    (sorted); ``version`` and ``paths``, the lowest such version and its files.
    """

    def __init__(self, clashes: dict[int, list[Path]]) -> None:
        parts = [
            f"version {v} is claimed by {len(ps)} files: {', '.join(p.name for p in ps)}"
            for v, ps in sorted(clashes.items())
        ]
        self.clashes = clashes
        self.version = min(clashes)
        self.paths = clashes[self.version]
        super().__init__(
            "; ".join(parts) + ". sqlx reads the version as the digits before the first "
            "underscore, so these files collide; give each a unique version, e.g. "
            f"{self.version}000001_..., {self.version}000002_...",
            self.paths[0],
        )


class MigrateError(AcodbError):
    """A migration's SQL failed while applying or reverting it.

    The database is left as it was before that migration (unless it ran with
    ``-- no-transaction``, in which case ``dirty`` is true).

    Attributes: ``version`` (int), ``path`` (the file whose SQL failed), ``statement`` (the failing
    statement's text, or ``None``), ``line`` (1-based line of that statement in the file, or
    ``None``), ``reason`` (SQLite's message), ``dirty`` (bool).
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
    ) -> None:
        self.version = version
        self.path = path
        self.reason = reason
        self.statement = statement
        self.line = line
        self.dirty = dirty
        self.action = action
        where = str(path) if path is not None else f"migration {version}"
        if line is not None:
            where += f":{line}"
        shown = ""
        if statement is not None:
            flat = " ".join(statement.split())
            shown = f" in statement `{flat[:200]}{'...' if len(flat) > 200 else ''}`"
        if dirty:
            state = (
                "it ran outside a transaction (-- no-transaction), so it is partly applied and "
                f"the database is now dirty: repair it by hand, then delete the row of version "
                f"{version} from the migrations table"
            )
        else:
            state = "the database was rolled back to its state before this migration"
        todo = sqlite_hint(reason) or "fix the SQL and run again"
        super().__init__(
            f"{where}: failed to {action} migration {version}{shown}: {reason}; {state}; {todo}"
        )


class ValidateError(AcodbError):
    """An applied database does not match a migrations directory (sqlx's validation).

    Attributes: ``version`` (int) and ``kind``: one of ``"dirty"``, ``"missing"``, ``"modified"``,
    ``"pending"``, ``"line_endings"``.
    """

    def __init__(self, message: str, *, version: int, kind: str) -> None:
        super().__init__(message)
        self.version = version
        self.kind = kind


class NoSessionError(AcodbError):
    """A factory was called with no SQLAlchemy session bound for it to write to."""

    def __init__(self) -> None:
        super().__init__(
            "no SQLAlchemy session is bound for the pytest-acodb factories: in a test, request "
            "the acodb_session fixture (or a fixture built on it); outside pytest, call "
            "pytest_acodb.synth.session.bind_session(session) first (and unbind_session(token) "
            "after)"
        )


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
    on, e.g. ``"20250115000003"`` or ``"comments.post_id"``).
    """

    def __init__(self, message: str, *, check: str = "", subject: str = "") -> None:
        super().__init__(message)
        self.check = check
        self.subject = subject


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


class AcodbWarning(UserWarning):
    """The Python warning a built-in check emits for a :class:`CheckWarning` (a risk, not a bug);
    pytest lists it under "warnings summary". Filter it like any warning, e.g.
    ``-W error::pytest_acodb.errors.AcodbWarning`` to make warnings fail."""


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
