"""Every error path through both doors: the engine's words, and each door's own hint.

Each case sets up a project (migrations, a database, a test file), then runs the command line
(``acodb ...``, in-process) and pytest (``pytester``) where the path exists in that door, and
checks that both say what the engine found, in one line for the command line, never with a
traceback or INTERNALERROR, and that neither door speaks the other's language: no command-line
flag or command in pytest's output, no pytest option, ini key or marker in the command line's.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pytest_acodb.cli import main
from pytest_acodb.db.connect import connect
from pytest_acodb.migrate import Migrator, resolve
from pytest_acodb.plugin.settings import OPTIONS

CLI_WORDS = re.compile(
    r"--(?:source|database-url|ignore-missing|target-version|skip-simple|dry-run|no-backup"
    r"|no-dotenv|sequential|timestamp|reversible|simple|format)\b"
    r"|(?<![\w-])-D\b|\bacodb (?:migrate|schema)\b"
)
"""Words of the command line: its flags and commands."""

PYTEST_WORDS = re.compile(
    r"--acodb-|@pytest\.mark|\bpytest\.mark\b|\b(?:"
    + "|".join(re.escape(o.dest) for o in OPTIONS)
    + r")\b"
)
"""Words of the pytest door: its options, ini keys and marker."""

USERS = "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n"


@dataclass(frozen=True)
class Case:
    """One error path: ``files`` to write (paths relative to the project), ``prepare`` for
    what files cannot say (a database, a FIFO), ``expected`` in both doors' output, ``cli`` the
    ``acodb`` arguments and ``pytest`` the pytest arguments (``None``: the path does not exist
    in that door)."""

    expected: str
    cli: tuple[str, ...] | None
    pytest: tuple[str, ...] | None
    files: dict[str, str | bytes] = field(default_factory=dict)
    prepare: Callable[[Path], None] | None = None


CHECKS = ("--acodb-check-migrations", "--acodb-migrations", "migrations")
DATABASE = (*CHECKS, "--acodb-database", "sqlite:app.db", "-k", "database")
LOCK = (*CHECKS, "-k", "lock")
USES_DB = ("--acodb-migrations", "migrations", "test_uses_db.py")
TEST_USES_DB = {"test_uses_db.py": "def test_it(acodb_db):\n    pass\n"}


def applied(*, then: dict[str, str | bytes | None] | None = None) -> Callable[[Path], None]:
    """A ``prepare`` that migrates ``app.db`` with the project's migrations, then rewrites
    (or, for ``None``, deletes) the files in ``then``."""

    def prepare(root: Path) -> None:
        conn = connect(str(root / "app.db"))
        try:
            Migrator(resolve(root / "migrations")).run(conn)
        finally:
            conn.close()
        for name, content in (then or {}).items():
            path = root / name
            if content is None:
                path.unlink()
            elif isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content)

    return prepare


def bookkeeping(create: str, insert: str) -> Callable[[Path], None]:
    def prepare(root: Path) -> None:
        conn = sqlite3.connect(root / "app.db")
        conn.execute(create)
        conn.execute(insert)
        conn.commit()
        conn.close()

    return prepare


def hot_journal(root: Path) -> None:
    applied()(root)
    code = (
        "import os, sqlite3\n"
        "c = sqlite3.connect('app.db', isolation_level=None)\n"
        "c.execute('PRAGMA cache_size = 1')\n"
        "c.execute('BEGIN')\n"
        "c.execute('CREATE TABLE junk AS WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT "
        "n + 1 FROM r WHERE n < 3000) SELECT randomblob(1000) AS b FROM r')\n"
        "os._exit(9)\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=root, check=False)
    assert (root / "app.db-journal").stat().st_size > 0


def fifo(root: Path) -> None:
    os.mkfifo(root / "migrations" / "2_fifo.sql")


def dev_zero(root: Path) -> None:
    (root / "migrations" / "2_zero.sql").symlink_to("/dev/zero")


def huge(root: Path) -> None:
    with (root / "migrations" / "2_huge.sql").open("wb") as handle:
        handle.truncate(256 * 2**20 + 1)


def lock_dir(root: Path) -> None:
    (root / "migrations" / "acodb.lock").mkdir()


def with_lock(then: dict[str, str]) -> Callable[[Path], None]:
    def prepare(root: Path) -> None:
        from pytest_acodb.migrate.lockfile import write_lock

        write_lock(root / "migrations")
        for name, content in then.items():
            (root / name).write_text(content)

    return prepare


def not_a_database(root: Path) -> None:
    (root / "app.db").write_text("these are my notes, not a database " * 10)


CASES: dict[str, Case] = {
    "missing-directory": Case(
        "does not exist",
        ("migrate", "info", "-D", "sqlite::memory:", "--source", "nowhere"),
        ("--acodb-migrations", "nowhere"),
    ),
    "bad-version-name": Case(
        "cannot read the version 'abc'",
        ("migrate", "info", "-D", "sqlite::memory:"),
        USES_DB,
        {"migrations/abc_x.sql": USERS, **TEST_USES_DB},
    ),
    "bad-version-name-check": Case(
        "cannot read the version 'abc'",
        None,
        (*CHECKS, "-k", "source"),
        {"migrations/abc_x.sql": USERS},
    ),
    "duplicate-versions": Case(
        "version 1 is claimed by 2 files",
        ("migrate", "info", "-D", "sqlite::memory:"),
        (*CHECKS, "-k", "source"),
        {"migrations/1_a.sql": USERS, "migrations/1_b.sql": USERS},
    ),
    "not-utf8": Case(
        "1_latin.sql: not valid UTF-8",
        ("migrate", "info", "-D", "sqlite::memory:"),
        USES_DB,
        {"migrations/1_latin.sql": "SELECT 'café';".encode("latin-1"), **TEST_USES_DB},
    ),
    "fifo": Case(
        "2_fifo.sql: is a FIFO",
        ("migrate", "info", "-D", "sqlite::memory:"),
        (*CHECKS, "-k", "source"),
        {"migrations/1_users.sql": USERS},
        fifo,
    ),
    "dev-zero": Case(
        "2_zero.sql: is a character device",
        ("migrate", "info", "-D", "sqlite::memory:"),
        USES_DB,
        {"migrations/1_users.sql": USERS, **TEST_USES_DB},
        dev_zero,
    ),
    "too-large": Case(
        "more than the 256 MiB",
        ("migrate", "info", "-D", "sqlite::memory:"),
        (*CHECKS, "-k", "source"),
        {"migrations/1_users.sql": USERS},
        huge,
    ),
    "sqlx-toml": Case(
        "sqlx.toml: migrate: must be a table",
        ("migrate", "info", "-D", "sqlite::memory:"),
        (*CHECKS, "-k", "source"),
        {"migrations/1_users.sql": USERS, "sqlx.toml": 'migrate = "x"\n'},
    ),
    "failing-sql": Case(
        "1_bad.sql:2: failed to apply migration 1",
        ("migrate", "run", "-D", "sqlite::memory:"),
        USES_DB,
        {"migrations/1_bad.sql": USERS + "INSERT INTO nowhere VALUES (1);\n", **TEST_USES_DB},
    ),
    "commit-inside": Case(
        "must not begin, commit or roll back a transaction",
        ("migrate", "run", "-D", "sqlite::memory:"),
        USES_DB,
        {"migrations/1_commit.sql": USERS + "COMMIT;\n", **TEST_USES_DB},
    ),
    "commit-inside-check": Case(
        "1_commit.sql:2: failed to apply migration 1",
        None,
        (*CHECKS, "-k", "upgrade"),
        {"migrations/1_commit.sql": USERS + "COMMIT;\n"},
    ),
    "no-transaction-failure": Case(
        "the database is now dirty",
        ("migrate", "run", "-D", "sqlite::memory:"),
        USES_DB,
        {
            "migrations/1_notx.sql": "-- no-transaction\n" + USERS + "SELEC 1;\n",
            **TEST_USES_DB,
        },
    ),
    "dirty": Case(
        "migration 2 is dirty",
        ("migrate", "run", "-D", "sqlite:app.db", "--no-backup"),
        DATABASE,
        {"migrations/1_users.sql": USERS},
        lambda root: (
            (root / "migrations" / "2_notx.sql").write_text("-- no-transaction\nSELEC 1;\n"),
            _swallow(applied(), root),
        ),
    ),
    "missing": Case(
        "migration 2 (posts) was previously applied but is missing",
        ("migrate", "run", "-D", "sqlite:app.db", "--no-backup"),
        DATABASE,
        {"migrations/1_users.sql": USERS, "migrations/2_posts.sql": "CREATE TABLE p (x);\n"},
        applied(then={"migrations/2_posts.sql": None}),
    ),
    "modified": Case(
        "migration 1 was previously applied but has been modified",
        ("migrate", "run", "-D", "sqlite:app.db", "--no-backup"),
        DATABASE,
        {"migrations/1_users.sql": USERS},
        applied(then={"migrations/1_users.sql": USERS.replace("TEXT", "BLOB")}),
    ),
    "line-endings": Case(
        "line endings changed",
        ("migrate", "run", "-D", "sqlite:app.db", "--no-backup"),
        DATABASE,
        {"migrations/1_users.sql": USERS},
        applied(then={"migrations/1_users.sql": USERS.replace("\n", "\r\n").encode()}),
    ),
    "nul-in-url": Case(
        "holds a NUL character (%00)",
        ("migrate", "info", "-D", "sqlite:a%00b.db"),
        (*CHECKS, "--acodb-database", "sqlite:a%00b.db", "-k", "database"),
        {"migrations/1_users.sql": USERS},
    ),
    "missing-database": Case(
        "does not exist (sqlx does not create it either)",
        ("migrate", "info", "-D", "sqlite:app.db"),
        DATABASE,
        {"migrations/1_users.sql": USERS},
    ),
    "not-a-database": Case(
        "is not a SQLite database",
        ("migrate", "info", "-D", "sqlite:app.db"),
        DATABASE,
        {"migrations/1_users.sql": USERS},
        not_a_database,
    ),
    "hot-journal": Case(
        "the database has a hot journal",
        ("migrate", "info", "-D", "sqlite:app.db"),
        DATABASE,
        {"migrations/1_users.sql": USERS},
        hot_journal,
    ),
    "missing-column": Case(
        "has no column installed_on, execution_time",
        ("migrate", "info", "-D", "sqlite:app.db"),
        DATABASE,
        {"migrations/1_users.sql": USERS},
        bookkeeping(
            "CREATE TABLE _sqlx_migrations (version BIGINT, description TEXT, success BOOLEAN, "
            "checksum BLOB)",
            "INSERT INTO _sqlx_migrations VALUES (1, 'users', 1, x'00')",
        ),
    ),
    "null-checksum": Case(
        "has NULL as the checksum of version 1",
        ("migrate", "info", "-D", "sqlite:app.db"),
        DATABASE,
        {"migrations/1_users.sql": USERS},
        bookkeeping(
            "CREATE TABLE _sqlx_migrations (version BIGINT, description TEXT, installed_on TEXT, "
            "success BOOLEAN, checksum BLOB, execution_time BIGINT)",
            "INSERT INTO _sqlx_migrations VALUES (1, 'users', 'now', 1, NULL, 1)",
        ),
    ),
    "text-version": Case(
        "has a row whose version is 'one', not an integer",
        ("migrate", "info", "-D", "sqlite:app.db"),
        DATABASE,
        {"migrations/1_users.sql": USERS},
        bookkeeping(
            "CREATE TABLE _sqlx_migrations (version TEXT, description TEXT, installed_on TEXT, "
            "success BOOLEAN, checksum BLOB, execution_time BIGINT)",
            "INSERT INTO _sqlx_migrations VALUES ('one', 'users', 'now', 1, x'00', 1)",
        ),
    ),
    "lock-edited": Case(
        "migration 1 was edited after it was locked",
        ("migrate", "verify"),
        LOCK,
        {"migrations/1_users.sql": USERS},
        with_lock({"migrations/1_users.sql": USERS.replace("TEXT", "BLOB")}),
    ),
    "lock-renamed": Case(
        "was renamed after it was locked",
        ("migrate", "verify"),
        LOCK,
        {"migrations/1_users.sql": USERS},
        lambda root: (
            with_lock({})(root),
            (root / "migrations" / "1_users.sql").rename(root / "migrations" / "1_people.sql"),
        ),
    ),
    "lock-malformed": Case(
        "acodb.lock:2: not a lock line",
        ("migrate", "verify"),
        LOCK,
        {"migrations/1_users.sql": USERS, "migrations/acodb.lock": "# header\n1\tx\tnot-hex\n"},
    ),
    "lock-not-utf8": Case(
        "acodb.lock: not valid UTF-8",
        ("migrate", "verify"),
        LOCK,
        {"migrations/1_users.sql": USERS, "migrations/acodb.lock": b"1\xe9\n"},
    ),
    "lock-directory": Case(
        "acodb.lock: is a directory",
        ("migrate", "verify"),
        LOCK,
        {"migrations/1_users.sql": USERS},
        lock_dir,
    ),
    "target-not-found": Case(
        "migration 9 is not present in the migration source",
        ("migrate", "run", "-D", "sqlite::memory:", "--target-version", "9"),
        ("--acodb-migrations", "migrations", "test_target.py"),
        {
            "migrations/1_users.sql": USERS,
            "test_target.py": (
                "import pytest\n\n@pytest.mark.acodb(target=9)\n"
                "def test_it(acodb_migrator):\n    pass\n"
            ),
        },
    ),
    "target-too-old": Case(
        "migration 1 is older than the latest applied migration 2",
        ("migrate", "run", "-D", "sqlite:app.db", "--target-version", "1", "--no-backup"),
        ("--acodb-migrations", "migrations", "test_target.py"),
        {
            "migrations/1_users.sql": USERS,
            "migrations/2_posts.sql": "CREATE TABLE p (x);\n",
            "test_target.py": (
                "import pytest\n\n@pytest.mark.acodb(target=2)\n"
                "def test_it(acodb_migrator):\n    acodb_migrator.up(1)\n"
            ),
        },
        applied(),
    ),
    "simple-in-the-way": Case(
        "refusing to revert past migration 2",
        ("migrate", "revert", "-D", "sqlite:app.db", "--target-version", "0", "--no-backup"),
        ("--acodb-migrations", "migrations", "test_down.py"),
        {
            "migrations/1_a.up.sql": USERS,
            "migrations/1_a.down.sql": "DROP TABLE users;\n",
            "migrations/2_b.sql": "CREATE TABLE p (x);\n",
            "test_down.py": (
                "import pytest\n\n@pytest.mark.acodb(target=2)\n"
                "def test_it(acodb_migrator):\n    acodb_migrator.down(0)\n"
            ),
        },
        applied(),
    ),
}


def _swallow(prepare: Callable[[Path], None], root: Path) -> None:
    """Run ``prepare``, which is expected to fail part way (a dirty migration)."""
    with contextlib.suppress(Exception):
        prepare(root)


@pytest.fixture
def project(pytester: pytest.Pytester, request: pytest.FixtureRequest) -> Path:
    case: Case = request.param
    for name, content in case.files.items():
        path = pytester.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    (pytester.path / "migrations").mkdir(exist_ok=True)
    if case.prepare is not None:
        case.prepare(pytester.path)
    return pytester.path


@pytest.mark.parametrize(
    ("project", "case"),
    [(c, c) for c in CASES.values() if c.cli is not None],
    ids=[n for n, c in CASES.items() if c.cli is not None],
    indirect=["project"],
)
def test_command_line(
    project: Path,
    case: Case,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert case.cli is not None
    monkeypatch.chdir(project)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    capsys.readouterr()
    code = main(list(case.cli))
    out, err = capsys.readouterr()
    assert code == 1, (out, err)
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert case.expected in out + err
    assert "Traceback" not in err
    assert not PYTEST_WORDS.search(out + err), PYTEST_WORDS.search(out + err)


@pytest.mark.parametrize(
    ("project", "case"),
    [(c, c) for c in CASES.values() if c.pytest is not None],
    ids=[n for n, c in CASES.items() if c.pytest is not None],
    indirect=["project"],
)
def test_pytest(
    project: Path, case: Case, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert case.pytest is not None
    monkeypatch.delenv("DATABASE_URL", raising=False)
    result = pytester.runpytest("-p", "no:cacheprovider", *case.pytest)
    output = result.stdout.str() + result.stderr.str()
    assert result.ret != 0, output
    assert case.expected in " ".join(output.split()), output
    assert "INTERNALERROR" not in output
    found = CLI_WORDS.search(output)
    assert found is None, f"{found.group()!r} in:\n{output}"
