"""Hostile inputs: each gets a one-line message naming the file (and what to do), and nothing
is lost. One test per row of the README's hostile-input table (engine and command line)."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from pytest_acodb.cli import main
from pytest_acodb.db.connect import connect
from pytest_acodb.errors import SourceError
from pytest_acodb.migrate import Migrator, resolve
from pytest_acodb.schema import snapshot

MIGRATE_RUN = [
    sys.executable,
    "-m",
    "pytest_acodb.cli",
    "migrate",
    "run",
    "-D",
    "sqlite:app.db",
    "--no-backup",
]
"""``acodb migrate run`` on ``app.db`` in a child process (for locks and signals)."""


def _acodb(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder with one good migration applied to app.db."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "1_users.sql").write_text(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n"
    )
    conn = connect(str(tmp_path / "app.db"))
    Migrator(resolve(tmp_path / "migrations")).run(conn)
    conn.close()
    return tmp_path


def _bytes(path: Path) -> bytes:
    return path.read_bytes()


def _one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


def test_not_utf8_file(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "migrations" / "2_latin.sql").write_bytes("SELECT 'café';".encode("latin-1"))
    before = _bytes(project / "app.db")
    code, _, err = _acodb(capsys, "migrate", "run", "-D", "sqlite:app.db", "--no-backup")
    line = _one_error_line(err)
    assert code == 1
    assert "2_latin.sql: not valid UTF-8" in line and "re-save the file as UTF-8" in line
    assert _bytes(project / "app.db") == before


def test_empty_file_applies_as_a_no_op_like_sqlx(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "migrations" / "2_empty.sql").write_bytes(b"")
    code, out, _ = _acodb(capsys, "migrate", "run", "-D", "sqlite:app.db", "--no-backup")
    assert code == 0 and "Applied 2/migrate empty" in out
    conn = sqlite3.connect(project / "app.db")
    assert (
        conn.execute("SELECT checksum FROM _sqlx_migrations WHERE version = 2").fetchone()[0]
        == hashlib.sha384(b"").digest()
    )


@pytest.mark.parametrize(
    "body",
    [
        b"\xef\xbb\xbfCREATE TABLE t (id INTEGER);\n",
        b"CREATE TABLE t (id INTEGER);\r\nCREATE INDEX i ON t(id);\r\n",
    ],
    ids=["bom", "crlf"],
)
def test_bom_and_crlf_apply_and_keep_their_bytes_in_the_checksum(
    tmp_path: Path, body: bytes
) -> None:
    (tmp_path / "1_t.sql").write_bytes(body)
    conn = connect(":memory:")
    Migrator(resolve(tmp_path)).run(conn)
    assert "t" in snapshot(conn).tables
    stored = conn.execute("SELECT checksum FROM _sqlx_migrations").fetchone()[0]
    assert stored == hashlib.sha384(body).digest()


def test_symlink_to_missing_file(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "migrations" / "2_link.sql").symlink_to(project / "gone.sql")
    code, _, err = _acodb(capsys, "migrate", "info", "-D", "sqlite:app.db")
    line = _one_error_line(err)
    assert code == 1 and "2_link.sql" in line and "restore it or remove the link" in line


def test_unreadable_file(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests run as root here, where chmod 000 does not stop reads; make the OS refuse instead.
    target = project / "migrations" / "2_secret.sql"
    target.write_text("SELECT 1;")
    real = os.open

    def refuse(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if Path(path) == target:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    with pytest.raises(
        SourceError,
        match=r"2_secret.sql: cannot read the file \(Permission "
        r"denied\); check its permissions",
    ):
        resolve(project / "migrations")


@pytest.mark.parametrize("where", ["missing", "file"])
def test_bad_migrations_path(project: Path, capsys: pytest.CaptureFixture[str], where: str) -> None:
    source = "nope" if where == "missing" else "app.db"
    code, _, err = _acodb(capsys, "migrate", "run", "-D", "sqlite:app.db", "--source", source)
    line = _one_error_line(err)
    assert code == 1
    assert ("does not exist" if where == "missing" else "is a file, not a migrations") in line


def test_ten_megabyte_migration_applies(tmp_path: Path) -> None:
    rows = "".join(f"INSERT INTO big VALUES ({i}, '{'x' * 90}');\n" for i in range(100_000))
    (tmp_path / "1_big.sql").write_text("CREATE TABLE big (id INTEGER, pad TEXT);\n" + rows)
    assert (tmp_path / "1_big.sql").stat().st_size > 10_000_000
    conn = connect(":memory:")
    Migrator(resolve(tmp_path)).run(conn)
    assert conn.execute("SELECT count(*) FROM big").fetchone()[0] == 100_000


def test_statement_failing_half_way_leaves_database_as_it_was(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "migrations" / "2_half.sql").write_text(
        "CREATE TABLE posts (id INTEGER);\nINSERT INTO posts VALUES (1);\n"
        "INSERT INTO users (id) VALUES (1);\nCREATE TABLE never (id INTEGER);\n"
    )
    before = _bytes(project / "app.db")
    code, _, err = _acodb(capsys, "migrate", "run", "-D", "sqlite:app.db", "--no-backup")
    line = _one_error_line(err)
    assert code == 1
    assert "2_half.sql:3" in line and "NOT NULL constraint failed: users.name" in line
    assert "rolled back" in line
    assert _bytes(project / "app.db") == before


def test_no_transaction_failure_says_dirty_and_what_to_do(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "migrations" / "2_notx.sql").write_text(
        "-- no-transaction\nCREATE TABLE half (id INTEGER);\nSELEC 1;\n"
    )
    code, _, err = _acodb(capsys, "migrate", "run", "-D", "sqlite:app.db", "--no-backup")
    line = _one_error_line(err)
    assert code == 1 and "2_notx.sql:3" in line and "dirty" in line and "by hand" in line
    code, _, err = _acodb(capsys, "migrate", "run", "-D", "sqlite:app.db", "--no-backup")
    assert code == 1 and "migration 2 is dirty" in _one_error_line(err)


def test_read_only_database(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "migrations" / "2_more.sql").write_text("CREATE TABLE more (id INTEGER);\n")
    before = _bytes(project / "app.db")
    code, _, err = _acodb(capsys, "migrate", "run", "-D", "sqlite:app.db?mode=ro", "--no-backup")
    line = _one_error_line(err)
    assert code == 1 and "read-only" in line and "open it read-write" in line
    assert _bytes(project / "app.db") == before


def test_database_locked_by_another_process(project: Path) -> None:
    (project / "migrations" / "2_more.sql").write_text("CREATE TABLE more (id INTEGER);\n")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys, time; c = sqlite3.connect('app.db', isolation_level=None);"
            "c.execute('BEGIN EXCLUSIVE'); print('locked', flush=True); time.sleep(30)",
        ],
        cwd=project,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        result = subprocess.run(
            MIGRATE_RUN,
            cwd=project,
            capture_output=True,
            text=True,
        )
    finally:
        holder.kill()
        holder.wait()
    line = _one_error_line(result.stderr)
    assert result.returncode == 1
    assert "database is locked" in line and "another process holds a lock" in line
    conn = sqlite3.connect(project / "app.db")
    assert [r[0] for r in conn.execute("SELECT version FROM _sqlx_migrations")] == [1]


def test_not_a_sqlite_file(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "notes.db").write_text("these are my notes, not a database " * 10)
    before = _bytes(project / "notes.db")
    code, _, err = _acodb(capsys, "migrate", "run", "-D", "sqlite:notes.db", "--no-backup")
    line = _one_error_line(err)
    assert code == 1 and "sqlite:notes.db" in line and "not a SQLite database" in line
    assert _bytes(project / "notes.db") == before


def test_ctrl_c_during_migrate_run_rolls_back(project: Path) -> None:
    slow = "".join(
        f"INSERT INTO nums WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s "
        f"WHERE n < 300000) SELECT n + {i} FROM s;\n"
        for i in range(40)
    )
    (project / "migrations" / "2_slow.sql").write_text("CREATE TABLE nums (n INTEGER);\n" + slow)
    before = snapshot(connect(str(project / "app.db")))
    proc = subprocess.Popen(
        MIGRATE_RUN,
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(1.5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted: the migration in progress was rolled back" in _one_error_line(err)
    conn = connect(str(project / "app.db"))
    assert snapshot(conn) == before
    assert [r[0] for r in conn.execute("SELECT version FROM _sqlx_migrations")] == [1]
    assert not os.path.exists(project / "app.db-journal")


# -- issue 15: nothing lost, nothing hung -------------------------------------------------------


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    return _acodb(capsys, "migrate", *argv)


def _rows(db: Path) -> list[tuple[int, int]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT version, success FROM _sqlx_migrations ORDER BY 1").fetchall()
    finally:
        conn.close()


def _child(argv: list[str], cwd: Path, **kwargs: Any) -> subprocess.Popen[str]:
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    return subprocess.Popen(
        argv,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


ENDINGS = {
    # statements that would end (or start) the migrator's transaction: refused before they run
    "commit": ("COMMIT;", True),
    "commit-transaction": ("commit transaction;", True),
    "end": ("END;", True),
    "end-transaction": ("END TRANSACTION;", True),
    "rollback": ("ROLLBACK;", True),
    "rollback-commented": ("/* undo */ ROLLBACK -- all of it\n;", True),
    "begin": ("BEGIN;", True),
    "begin-immediate": ("BEGIN IMMEDIATE;", True),
    # statements that end it as they fail: SQLite rolls the whole transaction back
    "release-outer-savepoint": ("RELEASE outer_savepoint;", False),
    "insert-or-rollback": ("INSERT OR ROLLBACK INTO posts (id) VALUES (1);", False),
    "on-conflict-rollback": (
        "CREATE TABLE once (id INTEGER PRIMARY KEY ON CONFLICT ROLLBACK);\n"
        "INSERT INTO once VALUES (1);\nINSERT INTO once VALUES (1);",
        False,
    ),
    "raise-rollback": (
        "CREATE TRIGGER no_more BEFORE INSERT ON posts BEGIN SELECT RAISE(ROLLBACK, 'no'); END;\n"
        "INSERT INTO posts (id) VALUES (2);",
        False,
    ),
}


@pytest.mark.parametrize("ending", ENDINGS.values(), ids=ENDINGS.keys())
def test_a_migration_never_ends_its_own_transaction(
    project: Path, capsys: pytest.CaptureFixture[str], ending: tuple[str, bool]
) -> None:
    statement, refused = ending
    (project / "migrations" / "2_posts.sql").write_text(
        "CREATE TABLE posts (id INTEGER PRIMARY KEY);\nINSERT INTO posts VALUES (1);\n"
        f"{statement}\nINSERT INTO posts VALUES (3);\nCREATE TABLE after (x);\n"
    )
    before = _bytes(project / "app.db")
    code, out, err = _run(capsys, "run", "-D", "sqlite:app.db", "--no-backup")
    line = _one_error_line(err)
    assert code == 1 and out == ""
    assert "2_posts.sql:3" in line or (not refused and "2_posts.sql:" in line)
    assert "rolled back" in line and "Traceback" not in line
    if refused:
        assert "must not begin, commit or roll back a transaction" in line
        assert "-- no-transaction" in line
    assert _bytes(project / "app.db") == before  # nothing applied, nothing recorded
    assert _rows(project / "app.db") == [(1, 1)]


REOPEN = (
    "COMMIT TRANSACTION;\nPRAGMA foreign_keys = OFF;\nBEGIN TRANSACTION;\n"
    "CREATE TABLE posts_new (id INTEGER PRIMARY KEY, body TEXT);\n"
    "INSERT INTO posts_new (id) SELECT id FROM posts;\nDROP TABLE posts;\n"
    "ALTER TABLE posts_new RENAME TO posts;\n{fail}COMMIT;\nPRAGMA foreign_keys = ON;\n"
    "BEGIN TRANSACTION;\n"
)


def test_the_sqlx_commit_begin_workaround_runs_as_sqlx_runs_it(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """sqlx runs a transactional migration that commits its transaction early and opens
    another (sqlx issue #2085's workaround) to the end, recording it with the last part."""
    (project / "migrations" / "2_posts.sql").write_text(
        "CREATE TABLE posts (id INTEGER PRIMARY KEY);\nINSERT INTO posts VALUES (1);\n"
    )
    (project / "migrations" / "3_posts_body.sql").write_text(REOPEN.format(fail=""))
    code, _, err = _run(capsys, "run", "-D", "sqlite:app.db", "--no-backup")
    assert code == 0, err
    assert _rows(project / "app.db") == [(1, 1), (2, 1), (3, 1)]
    conn = sqlite3.connect(project / "app.db")
    assert conn.execute("SELECT id, body FROM posts").fetchall() == [(1, None)]
    conn.close()


def test_a_failure_after_an_early_commit_says_what_stays(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "migrations" / "2_posts.sql").write_text(
        "CREATE TABLE posts (id INTEGER PRIMARY KEY);\nINSERT INTO posts VALUES (1);\n"
        "COMMIT;\nBEGIN;\nINSERT INTO nowhere VALUES (1);\nCOMMIT;\nBEGIN;\n"
    )
    code, out, err = _run(capsys, "run", "-D", "sqlite:app.db", "--no-backup")
    line = _one_error_line(err)
    assert code == 1 and out == "" and "Traceback" not in line
    assert "2_posts.sql:5" in line and "no such table: nowhere" in line
    assert "the statements before its COMMIT on line 3 stay committed" in line
    assert "nothing was recorded" in line and "rolled back to its state" not in line
    conn = sqlite3.connect(project / "app.db")
    assert conn.execute("SELECT id FROM posts").fetchall() == [(1,)]  # as with sqlx
    conn.close()
    assert _rows(project / "app.db") == [(1, 1)]


def test_a_down_script_never_ends_its_own_transaction(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "migrations" / "2_posts.up.sql").write_text("CREATE TABLE posts (id INTEGER);\n")
    (project / "migrations" / "2_posts.down.sql").write_text(
        "DELETE FROM posts;\nCOMMIT;\nDROP TABLE posts;\n"
    )
    assert _run(capsys, "run", "-D", "sqlite:app.db", "--no-backup")[0] == 0
    before = _bytes(project / "app.db")
    code, _, err = _run(capsys, "revert", "-D", "sqlite:app.db", "--no-backup")
    line = _one_error_line(err)
    assert code == 1 and "2_posts.down.sql:2" in line and "failed to revert migration 2" in line
    assert _bytes(project / "app.db") == before
    assert _rows(project / "app.db") == [(1, 1), (2, 1)]


def test_failing_no_transaction_migration_with_its_own_begin_is_dirty(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "migrations" / "2_own_tx.sql").write_text(
        "-- no-transaction\nCREATE TABLE log (n INTEGER);\nBEGIN;\n"
        "INSERT INTO log VALUES (1);\nINSERT INTO nowhere VALUES (1);\nCOMMIT;\n"
    )
    code, _, err = _run(capsys, "run", "-D", "sqlite:app.db", "--no-backup")
    assert code == 1 and "2_own_tx.sql:5" in _one_error_line(err) and "dirty" in err
    assert _rows(project / "app.db") == [(1, 1), (2, 0)]  # the dirty row survived
    conn = sqlite3.connect(project / "app.db")
    assert conn.execute("SELECT count(*) FROM log").fetchone() == (0,)  # its own BEGIN undone
    assert not conn.in_transaction
    conn.close()
    _, out, _ = _run(capsys, "info", "-D", "sqlite:app.db")
    assert "2/installed (dirty) own tx" in out
    code, _, err = _run(capsys, "run", "-D", "sqlite:app.db", "--no-backup")
    assert code == 1 and "migration 2 is dirty" in err  # no second run, no duplicate rows


def test_no_transaction_migration_that_leaves_a_transaction_open_is_dirty(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "migrations" / "2_open.sql").write_text(
        "-- no-transaction\nCREATE TABLE log (n INTEGER);\nBEGIN;\nINSERT INTO log VALUES (1);\n"
    )
    code, _, err = _run(capsys, "run", "-D", "sqlite:app.db", "--no-backup")
    assert code == 1 and "left a transaction open" in _one_error_line(err)
    assert _rows(project / "app.db") == [(1, 1), (2, 0)]


@pytest.mark.parametrize(
    "sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=lambda s: s.name
)
def test_interrupted_no_transaction_migration_is_left_dirty(
    project: Path, capsys: pytest.CaptureFixture[str], sig: signal.Signals
) -> None:
    slow = "".join(
        "INSERT INTO nums WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s "
        "WHERE n < 200000) SELECT n FROM s;\n"
        for _ in range(60)
    )
    (project / "migrations" / "2_slow.sql").write_text(
        "-- no-transaction\nCREATE TABLE nums (n INTEGER);\n" + slow
    )
    proc = _child(MIGRATE_RUN, project)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # wait until the migration has started
        if (2, 0) in _rows(project / "app.db"):
            break
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(sig)
    proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert _rows(project / "app.db") == [(1, 1), (2, 0)]
    code, out, _ = _run(capsys, "info", "-D", "sqlite:app.db")
    assert code == 0 and "2/installed (dirty) slow" in out
    code, _, err = _run(capsys, "run", "-D", "sqlite:app.db", "--no-backup")
    assert code == 1 and "migration 2 is dirty" in err  # nothing runs a second time


def test_failing_no_transaction_down_script_is_dirty(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "migrations" / "2_t.up.sql").write_text("CREATE TABLE t (x);\nCREATE TABLE u (x);\n")
    (project / "migrations" / "2_t.down.sql").write_text(
        "-- no-transaction\nDROP TABLE t;\nDROP TABLE nowhere;\nDROP TABLE u;\n"
    )
    assert _run(capsys, "run", "-D", "sqlite:app.db", "--no-backup")[0] == 0
    code, _, err = _run(capsys, "revert", "-D", "sqlite:app.db", "--no-backup")
    line = _one_error_line(err)
    assert code == 1 and "2_t.down.sql:3" in line and "partly reverted" in line
    assert _rows(project / "app.db") == [(1, 1), (2, 0)]
    code, _, err = _run(capsys, "run", "-D", "sqlite:app.db", "--no-backup")
    assert code == 1 and "migration 2 is dirty" in err  # not "all is well"


def test_two_runs_through_two_symlinks_apply_once(project: Path) -> None:
    (project / "link1.db").symlink_to(project / "app.db")
    (project / "link2.db").symlink_to(project / "app.db")
    (project / "migrations" / "2_slow.sql").write_text(
        "-- no-transaction\nCREATE TABLE nums (n INTEGER);\n"
        + "INSERT INTO nums WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s "
        "WHERE n < 50000) SELECT n FROM s;\n" * 10
    )
    runs = [
        _child([*MIGRATE_RUN[:-3], "-D", f"sqlite:{name}", "--no-backup"], project)
        for name in ("link1.db", "link2.db", "app.db")
    ]
    results = [p.communicate(timeout=120) for p in runs]
    assert [p.returncode for p in runs] == [0, 0, 0], results
    applied = [line for out, _ in results for line in out.splitlines()]
    assert len(applied) == 1 and applied[0].startswith("Applied 2/migrate slow")
    conn = sqlite3.connect(project / "app.db")
    assert conn.execute("SELECT count(*) FROM nums").fetchone() == (500_000,)
    conn.close()
    locks = sorted(p.name for p in project.glob("*.lock"))
    assert locks == ["app.db.acodb-migrate.lock"]  # one lock, on the real file


@pytest.mark.parametrize("where", ["migration", "down", "acodb.lock", "sqlx.toml"])
@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_special_files_are_refused_at_once(project: Path, where: str, kind: str) -> None:
    path = {
        "migration": project / "migrations" / "2_special.sql",
        "down": project / "migrations" / "1_users.down.sql",
        "acodb.lock": project / "migrations" / "acodb.lock",
        "sqlx.toml": project / "sqlx.toml",
    }[where]
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")
    verb = "verify" if where == "acodb.lock" else "info"
    argv = [sys.executable, "-m", "pytest_acodb.cli", "migrate", verb, "-D", "sqlite:app.db"]
    proc = _child(
        argv[:-2] if verb == "verify" else argv,
        project,
        # a memory limit, so that reading /dev/zero fails the test instead of the machine
        preexec_fn=lambda: _limit_memory(2**30),
    )
    try:
        _, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail(f"acodb hung on a {kind} named {path.name}")
    line = _one_error_line(err)
    assert proc.returncode == 1
    assert path.name in line and "not a regular file" in line
    assert ("FIFO" if kind == "fifo" else "character device") in line


def _limit_memory(size: int) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (size, size))


def test_a_file_over_the_size_limit_is_refused_without_reading_it(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from pytest_acodb.migrate.source import MAX_FILE_BYTES

    huge = project / "migrations" / "2_huge.sql"
    with huge.open("wb") as handle:  # sparse: no disk space used
        handle.truncate(MAX_FILE_BYTES + 1)
    start = time.perf_counter()
    code, _, err = _run(capsys, "info", "-D", "sqlite:app.db")
    assert time.perf_counter() - start < 5
    line = _one_error_line(err)
    assert code == 1 and "2_huge.sql" in line and "256 MiB" in line and "split it" in line


@pytest.mark.parametrize("problem", ["directory", "name-too-long"])
def test_a_lock_file_that_cannot_be_created_fails_at_once(
    project: Path, capsys: pytest.CaptureFixture[str], problem: str
) -> None:
    (project / "migrations" / "2_more.sql").write_text("CREATE TABLE more (id INTEGER);\n")
    if problem == "directory":
        (project / "app.db.acodb-migrate.lock").unlink()
        (project / "app.db.acodb-migrate.lock").mkdir()
        url, lock = "sqlite:app.db", "app.db.acodb-migrate.lock"
    else:
        name = "n" * 240 + ".db"  # SQLite can open it; its lock file's name is too long
        url, lock = f"sqlite:{name}?mode=rwc", f"{name}.acodb-migrate.lock"
    start = time.perf_counter()
    code, _, err = _run(capsys, "run", "-D", url, "--no-backup")
    assert time.perf_counter() - start < 10  # not 120 s of polling
    line = _one_error_line(err)
    assert code == 1 and f"cannot create the migration lock file {project / lock}" in line
    assert "another" not in line  # no other run is blamed
    assert ("remove it" if problem == "directory" else "shorter database file name") in line


def test_a_read_only_file_system_is_blamed_on_the_lock_file(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "migrations" / "2_more.sql").write_text("CREATE TABLE more (id INTEGER);\n")
    real = os.open

    def read_only_fs(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if str(path).endswith(".acodb-migrate.lock"):
            raise OSError(30, "Read-only file system", str(path))
        return real(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", read_only_fs)
    code, _, err = _run(capsys, "run", "-D", "sqlite:app.db", "--no-backup")
    line = _one_error_line(err)
    assert code == 1 and "migration lock file" in line and "app.db.acodb-migrate.lock" in line
    assert "Read-only file system" in line and "file system is read-only" in line


def test_backups_keep_the_database_mode(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.chmod(project / "app.db", 0o600)
    (project / "migrations" / "2_more.sql").write_text("CREATE TABLE more (id INTEGER);\n")
    code, out, _ = _run(capsys, "run", "-D", "sqlite:app.db")
    assert code == 0
    (backup,) = project.glob("*.bak")
    assert out.splitlines()[0] == f"Backed up {project / 'app.db'} to {backup}"
    assert backup.stat().st_mode & 0o777 == 0o600


def _hot_journal(db: Path) -> None:
    """Leave ``db`` with a hot journal: a child process is killed in the middle of a write."""
    code = (
        "import os, sqlite3\n"
        f"c = sqlite3.connect({str(db)!r}, isolation_level=None)\n"
        "c.execute('PRAGMA cache_size = 1')\n"
        "c.execute('BEGIN')\n"
        "c.execute('UPDATE users SET name = name')\n"
        "c.execute('CREATE TABLE junk AS WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT "
        "n + 1 FROM r WHERE n < 3000) SELECT randomblob(1000) AS b FROM r')\n"
        "os._exit(9)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=False)
    journal = db.with_name(db.name + "-journal")
    assert journal.is_file() and journal.stat().st_size > 0


@pytest.mark.parametrize(
    "argv",
    [
        ["migrate", "info"],
        ["migrate", "run", "--dry-run"],
        ["migrate", "revert", "--dry-run"],
        ["schema"],
    ],
    ids=["info", "run-dry-run", "revert-dry-run", "schema"],
)
def test_hot_journal_is_named_not_blamed_on_permissions(
    project: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    _hot_journal(project / "app.db")
    code, _, err = _acodb(capsys, *argv, "-D", "sqlite:app.db")
    line = _one_error_line(err)
    assert code == 1 and "hot journal" in line and "read-write once" in line
    assert "permissions" not in line and "Traceback" not in line
    code, _, _ = _run(capsys, "run", "-D", "sqlite:app.db", "--no-backup")
    assert code == 0  # a read-write open rolls the interrupted write back
    assert not (project / "app.db-journal").exists()


BOOKKEEPING = {
    "missing-column": (
        "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT, "
        "success BOOLEAN, checksum BLOB)",
        "INSERT INTO _sqlx_migrations VALUES (1, 'users', 1, x'00')",
        "has no column installed_on, execution_time",
    ),
    "null-checksum": (
        "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT, "
        "installed_on TIMESTAMP, success BOOLEAN, checksum BLOB, execution_time BIGINT)",
        "INSERT INTO _sqlx_migrations VALUES (1, 'users', 'now', 1, NULL, 1)",
        "has NULL as the checksum of version 1",
    ),
    "text-version": (
        "CREATE TABLE _sqlx_migrations (version TEXT, description TEXT, installed_on TEXT, "
        "success BOOLEAN, checksum BLOB, execution_time BIGINT)",
        "INSERT INTO _sqlx_migrations VALUES ('one', 'users', 'now', 1, x'00', 1)",
        "has a row whose version is 'one', not an integer",
    ),
}


@pytest.mark.parametrize("case", BOOKKEEPING.values(), ids=BOOKKEEPING.keys())
@pytest.mark.parametrize("verb", ["info", "run", "revert"])
def test_a_damaged_migrations_table_is_one_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    case: tuple[str, str, str],
    verb: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "1_users.sql").write_text("CREATE TABLE users (id INTEGER);\n")
    create, insert, problem = case
    conn = sqlite3.connect(tmp_path / "app.db")
    conn.execute(create)
    conn.execute(insert)
    conn.commit()
    conn.close()
    code, _, err = _run(
        capsys, verb, "-D", "sqlite:app.db", *([] if verb == "info" else ["--no-backup"])
    )
    line = _one_error_line(err)
    assert code == 1 and f"the migrations table _sqlx_migrations {problem}" in line
    assert "repair the table by hand" in line


@pytest.mark.parametrize(
    ("setup", "argv", "expected"),
    [
        (None, ["info", "-D", "sqlite:a%00b.db"], "holds a NUL character (%00)"),
        (None, ["info", "-D", "sqlite:a.db?vfs=x%00y"], "holds a NUL character (%00)"),
        ("toml", ["info", "-D", "sqlite:app.db"], "sqlx.toml: migrate: must be a table"),
        ("toml-chars", ["info", "-D", "sqlite:app.db"], "migrate.ignored-chars: must be a list"),
        ("lock-latin1", ["verify"], "acodb.lock: not valid UTF-8 (byte 1)"),
        ("lock-dir", ["verify"], "acodb.lock: is a directory, not a regular file"),
        ("env-latin1", ["info"], ".env: not valid UTF-8 (byte 23)"),
    ],
)
def test_bad_inputs_are_one_line(
    project: Path,
    capsys: pytest.CaptureFixture[str],
    setup: str | None,
    argv: list[str],
    expected: str,
) -> None:
    migrations = project / "migrations"
    if setup == "toml":
        (project / "sqlx.toml").write_text('migrate = "x"\n')
    elif setup == "toml-chars":
        (project / "sqlx.toml").write_text("[migrate]\nignored-chars = 3\n")
    elif setup == "lock-latin1":
        (migrations / "acodb.lock").write_bytes(b"1\xe9\n")
    elif setup == "lock-dir":
        (migrations / "acodb.lock").mkdir()
    elif setup == "env-latin1":
        (project / ".env").write_bytes(b"DATABASE_URL=sqlite:caf\xe9.db\n")
    code, _, err = _run(capsys, *argv)
    line = _one_error_line(err)
    assert code == 1 and expected in line and "Traceback" not in line


def test_a_file_name_with_a_question_mark(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "sqlite:what%3F.db"
    assert _run(capsys, "run", "-D", f"{url}?mode=rwc")[0] == 0
    assert (project / "what?.db").is_file()
    code, out, err = _run(capsys, "info", "-D", url)
    assert (code, out, err) == (0, "1/installed users\n", "")


def test_a_path_too_long_is_said_so(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "run", "-D", f"sqlite:{'n' * 260}.db?mode=rwc")
    line = _one_error_line(err)
    assert code == 1 and "more than the 255 the file system allows" in line
    assert "mode=rwc to" not in line.split("':", 1)[1]  # the URL has it; no advice to add it
    deep = "/".join(["d" * 200] * 3)
    (project / deep).mkdir(parents=True)
    code, _, err = _run(capsys, "run", "-D", f"sqlite:{deep}/x.db?mode=rwc")
    line = _one_error_line(err)
    assert code == 1 and "bytes, more than the 511 SQLite opens" in line


def test_a_full_disk_is_not_blamed_on_the_sql(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # SQLite's page limit fails a write exactly as a full disk does (SQLITE_FULL).
    (project / "migrations" / "2_big.sql").write_text(
        "PRAGMA max_page_count = 20;\nCREATE TABLE big (b BLOB);\n"
        "INSERT INTO big WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r "
        "WHERE n < 1000) SELECT randomblob(1000) FROM r;\n"
    )
    before = _bytes(project / "app.db")
    code, _, err = _run(capsys, "run", "-D", "sqlite:app.db", "--no-backup")
    line = _one_error_line(err)
    assert code == 1 and "database or disk is full" in line
    assert "the disk is full" in line and "fix the SQL" not in line
    assert _bytes(project / "app.db") == before


def _file_size_limit(size: int) -> None:
    import resource

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails, not kills
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))


def test_a_backup_that_cannot_be_written_is_named_and_removed(project: Path) -> None:
    conn = sqlite3.connect(project / "app.db")
    conn.execute("CREATE TABLE pad AS SELECT randomblob(400000) AS b")
    conn.commit()
    conn.close()
    (project / "migrations" / "2_more.sql").write_text("CREATE TABLE more (id INTEGER);\n")
    before = _bytes(project / "app.db")
    argv = [*MIGRATE_RUN[:-1]]  # with a backup
    proc = _child(argv, project, preexec_fn=lambda: _file_size_limit(100_000))
    _, err = proc.communicate(timeout=60)
    line = _one_error_line(err)
    assert proc.returncode == 1
    assert "cannot write the backup" in line and ".bak of " in line
    assert "the database was not changed" in line
    assert list(project.glob("*.bak")) == []  # no empty file that looks like a backup
    assert _bytes(project / "app.db") == before


def test_dry_run_shows_the_plan_the_real_run_carries_out(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for v in (2, 3, 4):
        (project / "migrations" / f"{v}_t{v}.up.sql").write_text(f"CREATE TABLE t{v} (x);\n")
        (project / "migrations" / f"{v}_t{v}.down.sql").write_text(f"DROP TABLE t{v};\n")

    def lines(*argv: str) -> list[str]:
        code, out, err = _run(capsys, *argv, "-D", "sqlite:app.db", "--no-backup")
        assert code == 0, err
        return [
            re.sub(r"^(Can apply|Applied) ", "", line.split(" (")[0]) for line in out.splitlines()
        ]

    for verb, target in (("run", "3"), ("run", "4"), ("revert", "2"), ("revert", "1")):
        dry = lines(verb, "--target-version", target, "--dry-run")
        assert dry == lines(verb, "--target-version", target)


def test_a_nul_character_in_a_migration(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "migrations" / "2_nul.sql").write_text("CREATE TABLE t (x);\nSELECT 1\x00;\n")
    before = _bytes(project / "app.db")
    code, _, err = _run(capsys, "run", "-D", "sqlite:app.db", "--no-backup")
    line = _one_error_line(err)
    assert code == 1 and "2_nul.sql:2" in line and "holds a NUL character" in line
    assert _bytes(project / "app.db") == before


def test_a_file_name_that_is_not_utf8_reads_as_sqlx_reads_it(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = os.fsdecode(b"2_caf\xe9.sql")
    (project / "migrations" / name).write_text("CREATE TABLE t (x);\n")
    code, out, err = _run(capsys, "run", "-D", "sqlite:app.db", "--no-backup")
    assert (code, err) == (0, "")
    assert out.startswith("Applied 2/migrate caf\ufffd (")  # sqlx's to_string_lossy
    conn = sqlite3.connect(project / "app.db")
    assert conn.execute(
        "SELECT description FROM _sqlx_migrations WHERE version = 2"
    ).fetchone() == ("caf\ufffd",)
    conn.close()
    code, out, _ = _run(capsys, "info", "-D", "sqlite:app.db")
    assert code == 0 and "2/installed caf\ufffd" in out
