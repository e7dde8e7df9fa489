"""The rehearsal: pending migrations applied to a copy of a database with production-like rows.

Real SQLite files, real pytest runs, the real command line. The original database is only read:
its bytes and its modification time are checked after every run. No row value (the table holds
a secret) may reach any output.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

import pytest

from pytest_acodb.cli import main
from pytest_acodb.migrate import resolve
from pytest_acodb.migrate.rehearse import Rehearsal

SECRET = "prod-api-key-7f3a9c"

APPLIED = {
    "1_users.sql": (
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, title TEXT);\n"
        "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER, body TEXT);\n"
        "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT, is_secret INTEGER);\n"
    ),
}
CLEAN = {
    "2_user_name.sql": "ALTER TABLE users ADD COLUMN name TEXT;\nUPDATE users SET name = title;\n"
}
WIPES = {
    "2_wipe_title.sql": (
        "CREATE TABLE users_new (id INTEGER PRIMARY KEY, email TEXT NOT NULL, title TEXT);\n"
        "INSERT INTO users_new (id, email, title) SELECT id, email, '' FROM users;\n"
        "DROP TABLE users;\n"
        "ALTER TABLE users_new RENAME TO users;\n"
    )
}
DUPLICATES = {"2_unique_email.sql": "CREATE UNIQUE INDEX users_email ON users(email);\n"}
ORPHANS = {
    "2_posts_fk.sql": (
        "CREATE TABLE posts_new (id INTEGER PRIMARY KEY,\n"
        "    user_id INTEGER REFERENCES users(id), body TEXT);\n"
        "INSERT INTO posts_new SELECT * FROM posts;\n"
        "DROP TABLE posts;\n"
        "ALTER TABLE posts_new RENAME TO posts;\n"
    )
}


def _project(root: Path, pending: dict[str, str]) -> Path:
    """A migrations directory (``root/migrations``) and ``root/prod.db``: migration 1 applied
    by the CLI, production-like rows (10 emails used twice, 20 posts of missing users, a
    secret), then ``pending`` added to the directory."""
    directory = root / "migrations"
    directory.mkdir()
    for name, text in APPLIED.items():
        (directory / name).write_text(text)
    db = root / "prod.db"
    assert main(["migrate", "run", "--source", str(directory), "-D", f"sqlite:{db}?mode=rwc"]) == 0
    conn = sqlite3.connect(db)
    conn.executemany(
        "INSERT INTO users VALUES (?, ?, ?)",
        [(i, f"u{i % 90}@x", f"title {i}") for i in range(1, 101)],
    )
    conn.executemany(
        "INSERT INTO posts (user_id, body) VALUES (?, 'b')", [(i % 120 + 1,) for i in range(300)]
    )
    conn.execute("INSERT INTO settings VALUES ('api_key', ?, 1)", (SECRET,))
    conn.commit()
    conn.close()
    for name, text in pending.items():
        (directory / name).write_text(text)
    os.utime(db, (1_600_000_000, 1_600_000_000))
    return db


def _fingerprint(db: Path) -> tuple[str, int]:
    return hashlib.sha256(db.read_bytes()).hexdigest(), db.stat().st_mtime_ns


@pytest.mark.parametrize(
    ("pending", "broken"),
    [(WIPES, None), (DUPLICATES, 20), (ORPHANS, 40)],
    ids=["wiped_column", "duplicates", "orphans"],
)
def test_engine_finds_what_real_rows_break(
    tmp_path: Path, pending: dict[str, str], broken: int | None
) -> None:
    db = _project(tmp_path, pending)
    before = _fingerprint(db)
    rehearsal = Rehearsal(resolve(tmp_path / "migrations"), f"sqlite:{db}")
    assert [m.version for m in rehearsal.pending] == [2]
    (step,) = rehearsal.run()
    assert _fingerprint(db) == before
    if broken is None:
        assert step.error is None and step.elapsed_ns is not None and step.elapsed_ns > 0
        assert step.changed_values == {("users", "title"): 100}
    else:
        assert step.error is not None and step.broken_rows == broken


def test_a_clean_pending_migration_passes_with_its_timing(pytester: pytest.Pytester) -> None:
    db = _project(pytester.path, CLEAN)
    before = _fingerprint(db)
    pytester.makeini("[pytest]\nacodb_migrations = migrations\n")
    result = pytester.runpytest(
        "--acodb-check-migrations", f"--acodb-database=sqlite:{db}", "-k", "rehearse or database"
    )
    result.assert_outcomes(passed=2)  # rehearse[2], and database[...]: pending is no fault
    result.stdout.fnmatch_lines(
        ["*acodb rehearsal on a copy of the database*", "rehearse[[]2[]]: migration 2 took *"]
    )
    assert _fingerprint(db) == before
    assert SECRET not in result.stdout.str()


@pytest.mark.parametrize(
    ("pending", "expected"),
    [
        (WIPES, "*users.title holds another value in 100 row(s) that kept their key*"),
        (DUPLICATES, "*migration 2 fails (20 row(s) of this database break it)*UNIQUE*"),
        (ORPHANS, "*migration 2 fails (40 row(s) of this database break it)*FOREIGN KEY*"),
    ],
    ids=["wiped_column", "duplicates", "orphans"],
)
def test_rehearsal_items_fail_for_real_rows(
    pytester: pytest.Pytester, pending: dict[str, str], expected: str
) -> None:
    db = _project(pytester.path, pending)
    before = _fingerprint(db)
    pytester.makeini("[pytest]\nacodb_migrations = migrations\n")
    result = pytester.runpytest(
        "--acodb-check-migrations", f"--acodb-database=sqlite:{db}", "-k", "rehearse"
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([expected, "*acodb rehearsal on a copy of the database*"])
    assert _fingerprint(db) == before
    assert SECRET not in result.stdout.str()


def test_the_command_line_rehearses_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = _project(tmp_path, {**WIPES, "3_unique_email.sql": DUPLICATES["2_unique_email.sql"]})
    before = _fingerprint(db)
    code = main(
        ["migrate", "rehearse", "--source", str(tmp_path / "migrations"), "-D", f"sqlite:{db}"]
    )
    out, err = capsys.readouterr()
    assert code == 1
    assert "Rehearsed 2/wipe title (" in out
    assert "CHANGED users.title in 100 row(s)" in out
    assert "FAILED 3/unique email (20 row(s) break it)" in out
    assert err.startswith("error: the rehearsal of sqlite:")
    assert SECRET not in out + err
    assert _fingerprint(db) == before
