"""Hostile inputs: each gets a one-line message naming the file (and what to do), and nothing
is lost. One test per row of the README's hostile-input table (engine and command line)."""

from __future__ import annotations

import hashlib
import os
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
