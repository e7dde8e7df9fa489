"""The ``acodb`` command, in-process and as a real subprocess, on real SQLite files."""

from __future__ import annotations

import calendar
import hashlib
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

import pytest_acodb
from pytest_acodb import bundled_migrations_dir
from pytest_acodb.cli import format_elapsed, main
from pytest_acodb.errors import SourceError
from pytest_acodb.migrate.add import add_migration
from pytest_acodb.schema import Schema, snapshot

ROOT = Path(pytest_acodb.__file__).resolve().parent.parent
APPLIED = re.compile(r"^Applied (-?\d+)/(migrate|revert) (.*) \((\d+(\.\d+)?(ns|µs|ms|s))\)$")


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()


Acodb = Callable[..., Result]


@pytest.fixture
def acodb(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Acodb:
    """Run ``acodb`` in-process in ``tmp_path`` with no DATABASE_URL; returns code and output."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)

    def run(*argv: str) -> Result:
        capsys.readouterr()
        code = main(list(argv))
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return run


def write(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text)
    return directory


BLOG = {
    "1_create_users.up.sql": (
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);\n"
    ),
    "1_create_users.down.sql": "DROP TABLE users;\n",
    "2_create_posts.up.sql": (
        "CREATE TABLE posts (id INTEGER PRIMARY KEY, "
        "user_id INTEGER NOT NULL REFERENCES users(id), body TEXT);\n"
    ),
    "2_create_posts.down.sql": "DROP TABLE posts;\n",
    "3_add_index.up.sql": "CREATE INDEX idx_posts_user ON posts(user_id);\n",
    "3_add_index.down.sql": "DROP INDEX idx_posts_user;\n",
}


@pytest.fixture
def blog(tmp_path: Path) -> Path:
    """Three reversible migrations in ``tmp_path/migrations`` (the CLI's default --source)."""
    return write(tmp_path / "migrations", BLOG)


DB = "sqlite:app.db?mode=rwc"


def rows(db: Path, table: str = "_sqlx_migrations") -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            f"SELECT version, description, success, checksum FROM {table} ORDER BY version"
        ).fetchall()


def versions(db: Path) -> list[int]:
    return [int(str(r[0])) for r in rows(db)]


def schema_of(db: Path) -> Schema:
    conn = sqlite3.connect(db)
    try:
        return snapshot(conn, exclude=("_sqlx_migrations",))
    finally:
        conn.close()


def backups(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.bak"))


# -- fidelity with sqlx ---------------------------------------------------------------------------


def _expected_sqlx_rows(directory: Path) -> list[tuple[int, str, int, bytes]]:
    """What sqlx writes for each migration, computed from the file names and bytes alone."""
    expected = []
    for path in sorted(directory.iterdir()):
        prefix, _, rest = path.name.partition("_")
        if not rest.endswith(".sql") or rest.endswith(".down.sql"):
            continue
        description = rest
        suffix = ".up.sql" if rest.endswith(".up.sql") else ".sql"
        while description.endswith(suffix):
            description = description[: -len(suffix)]
        expected.append(
            (
                int(prefix),
                description.replace("_", " "),
                1,
                hashlib.sha384(path.read_bytes()).digest(),
            )
        )
    return sorted(expected)


def test_run_writes_the_rows_sqlx_would(acodb: Acodb, tmp_path: Path) -> None:
    source = bundled_migrations_dir()
    result = acodb("migrate", "run", "--source", str(source), "-D", DB)
    assert result.code == 0, result.err
    expected = _expected_sqlx_rows(source)
    assert len(expected) == 7
    assert rows(tmp_path / "app.db") == expected
    with sqlite3.connect(tmp_path / "app.db") as conn:
        assert conn.execute(
            "SELECT DISTINCT typeof(checksum), typeof(success) FROM _sqlx_migrations"
        ).fetchall() == [("blob", "integer")]
        assert conn.execute("SELECT min(execution_time) FROM _sqlx_migrations").fetchone()[0] > 0
        assert conn.execute(
            "SELECT count(*) FROM _sqlx_migrations WHERE installed_on LIKE '____-__-__ __:__:__'"
        ).fetchone() == (7,)
    applied = [APPLIED.match(line) for line in result.lines if line.startswith("Applied")]
    assert [(int(m[1]), m[2], m[3]) for m in applied if m] == [
        (v, "migrate", d) for v, d, _, _ in expected
    ]
    assert result.err == ""


def test_rerun_does_nothing(acodb: Acodb, blog: Path, tmp_path: Path) -> None:
    assert acodb("migrate", "run", "-D", DB).code == 0
    again = acodb("migrate", "run", "-D", "sqlite:app.db")
    assert (again.code, again.out, again.err) == (0, "", "")
    assert backups(tmp_path) == []  # the file was new on the first run, unchanged on the second


def test_format_elapsed_matches_rust_duration_debug() -> None:
    assert format_elapsed(0) == "0ns"
    assert format_elapsed(850) == "850ns"
    assert format_elapsed(12_500) == "12.5µs"
    assert format_elapsed(1_234_567) == "1.234567ms"
    assert format_elapsed(2_000_000) == "2ms"
    assert format_elapsed(2_500_000_000) == "2.5s"


# -- run ------------------------------------------------------------------------------------------


def test_dry_run_leaves_the_file_byte_identical(acodb: Acodb, blog: Path, tmp_path: Path) -> None:
    assert acodb("migrate", "run", "-D", DB, "--target-version", "1").code == 0
    db = tmp_path / "app.db"
    before, listing = db.read_bytes(), sorted(tmp_path.iterdir())
    result = acodb("migrate", "run", "-D", "sqlite:app.db", "--dry-run")
    assert result.code == 0, result.err
    assert result.lines == [
        "Can apply 2/migrate create posts (0ns)",
        "Can apply 3/migrate add index (0ns)",
    ]
    assert db.read_bytes() == before
    assert sorted(tmp_path.iterdir()) == listing  # no journal, backup or lock file either


def test_dry_run_does_not_even_create_the_migrations_table(
    acodb: Acodb, blog: Path, tmp_path: Path
) -> None:
    db = tmp_path / "empty.db"
    sqlite3.connect(db).execute("CREATE TABLE keep (x)").connection.close()
    before = db.read_bytes()
    assert acodb("migrate", "run", "-D", "sqlite:empty.db", "--dry-run").code == 0
    assert db.read_bytes() == before


def test_dry_run_never_creates_a_missing_file(acodb: Acodb, blog: Path, tmp_path: Path) -> None:
    result = acodb("migrate", "run", "-D", DB, "--dry-run")
    assert result.code == 0
    assert len(result.lines) == 3
    assert not (tmp_path / "app.db").exists()


def test_backup_holds_the_pre_run_schema(acodb: Acodb, blog: Path, tmp_path: Path) -> None:
    assert acodb("migrate", "run", "-D", DB, "--target-version", "1").code == 0
    db = tmp_path / "app.db"
    before = schema_of(db)
    result = acodb("migrate", "run", "-D", "sqlite:app.db")
    assert result.code == 0
    (backup,) = backups(tmp_path)
    assert re.fullmatch(r"app\.db\.\d{8}T\d{6}Z\.bak", backup.name)
    assert result.lines[0] == f"Backed up {db} to {backup}"
    with sqlite3.connect(backup) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert schema_of(backup) == before != schema_of(db)
    assert versions(backup) == [1]


def test_no_backup_flag_and_nothing_to_do(acodb: Acodb, blog: Path, tmp_path: Path) -> None:
    assert acodb("migrate", "run", "-D", DB, "--target-version", "1").code == 0
    assert acodb("migrate", "run", "-D", DB, "--no-backup").code == 0
    assert backups(tmp_path) == []
    assert acodb("migrate", "run", "-D", DB).code == 0  # nothing pending: no backup
    assert backups(tmp_path) == []


def test_failing_migration_leaves_the_schema_unchanged(acodb: Acodb, tmp_path: Path) -> None:
    write(
        tmp_path / "migrations",
        {
            "1_ok.sql": "CREATE TABLE a (x);\n",
            "2_bad.sql": "CREATE TABLE b (x);\nINSERT INTO missing_table VALUES (1);\n",
            "3_never.sql": "CREATE TABLE c (x);\n",
        },
    )
    assert acodb("migrate", "run", "-D", DB, "--target-version", "1").code == 0
    db = tmp_path / "app.db"
    before = schema_of(db)
    result = acodb("migrate", "run", "-D", DB)
    assert result.code == 1
    assert result.err.count("\n") == 1 and result.err.startswith("error: ")
    assert "2_bad.sql:2" in result.err and "no such table: missing_table" in result.err
    assert "Traceback" not in result.err
    assert schema_of(db) == before
    assert versions(db) == [1]
    (backup,) = backups(tmp_path)  # the backup was written before the failure
    assert schema_of(backup) == before


def test_target_version(acodb: Acodb, blog: Path, tmp_path: Path) -> None:
    result = acodb("migrate", "run", "-D", DB, "--target-version", "2")
    assert result.code == 0
    assert [line.split(" (")[0] for line in result.lines] == [
        "Applied 1/migrate create users",
        "Applied 2/migrate create posts",
        "Skipped 3/migrate add index",
    ]
    assert versions(tmp_path / "app.db") == [1, 2]
    older = acodb("migrate", "run", "-D", DB, "--target-version", "1")
    assert older.code == 1
    assert "migration 1 is older than the latest applied migration 2" in older.err
    absent = acodb("migrate", "run", "-D", DB, "--target-version", "7")
    assert absent.code == 1 and "migration 7 is not present" in absent.err


def test_memory_database(acodb: Acodb, blog: Path) -> None:
    result = acodb("migrate", "run", "-D", "sqlite::memory:")
    assert result.code == 0
    assert [bool(APPLIED.match(line)) for line in result.lines] == [True] * 3


def test_read_only_url_cannot_apply(acodb: Acodb, blog: Path, tmp_path: Path) -> None:
    sqlite3.connect(tmp_path / "ro.db").close()
    result = acodb("migrate", "run", "-D", "sqlite:ro.db?mode=ro", "--no-backup")
    assert result.code == 1 and "readonly" in result.err


def test_missing_database_file_is_an_error(acodb: Acodb, blog: Path, tmp_path: Path) -> None:
    result = acodb("migrate", "run", "-D", "sqlite:nope.db")
    assert result.code == 1
    assert "does not exist" in result.err and "mode=rwc" in result.err
    assert list(tmp_path.glob("nope.db*")) == []


def test_no_database_url(acodb: Acodb, blog: Path) -> None:
    result = acodb("migrate", "run")
    assert result.code == 1
    assert "DATABASE_URL is not set" in result.err and "-D/--database-url" in result.err


def test_bad_url(acodb: Acodb, blog: Path) -> None:
    result = acodb("migrate", "info", "-D", "mysql://x/y")
    assert result.code == 1 and "not a SQLite URL" in result.err


def test_missing_source_directory(acodb: Acodb) -> None:
    result = acodb("migrate", "run", "-D", DB, "--source", "nowhere")
    assert result.code == 1 and "does not exist" in result.err


# -- .env -----------------------------------------------------------------------------------------


def test_dotenv_supplies_database_url(
    acodb: Acodb, blog: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("DATABASE_URL=sqlite:from-dotenv.db?mode=rwc\n")
    assert acodb("migrate", "run").code == 0
    assert versions(tmp_path / "from-dotenv.db") == [1, 2, 3]
    monkeypatch.setenv("DATABASE_URL", "sqlite:from-env.db?mode=rwc")
    assert acodb("migrate", "run").code == 0  # the real variable wins
    assert versions(tmp_path / "from-env.db") == [1, 2, 3]
    monkeypatch.delenv("DATABASE_URL")
    result = acodb("migrate", "run", "--no-dotenv")
    assert result.code == 1 and "DATABASE_URL is not set" in result.err


# -- info / status / list -------------------------------------------------------------------------


def test_info_pending_and_installed(acodb: Acodb, blog: Path, tmp_path: Path) -> None:
    assert acodb("migrate", "run", "-D", DB, "--target-version", "1").code == 0
    before = (tmp_path / "app.db").read_bytes()
    for verb in ("info", "status", "list"):
        result = acodb("migrate", verb, "-D", "sqlite:app.db")
        assert result.code == 0
        assert result.lines == [
            "1/installed create users",
            "2/pending create posts",
            "3/pending add index",
        ]
    assert (tmp_path / "app.db").read_bytes() == before


def test_info_on_a_database_without_the_table_creates_nothing(
    acodb: Acodb, blog: Path, tmp_path: Path
) -> None:
    sqlite3.connect(tmp_path / "fresh.db").execute("CREATE TABLE x (y)").connection.close()
    before = (tmp_path / "fresh.db").read_bytes()
    result = acodb("migrate", "info", "-D", "sqlite:fresh.db")
    assert result.lines[0] == "1/pending create users"
    assert (tmp_path / "fresh.db").read_bytes() == before


def test_modified_migration(acodb: Acodb, blog: Path, tmp_path: Path) -> None:
    assert acodb("migrate", "run", "-D", DB).code == 0
    path = blog / "2_create_posts.up.sql"
    old = hashlib.sha384(path.read_bytes()).hexdigest()
    path.write_text(BLOG["2_create_posts.up.sql"].replace("body TEXT", "body BLOB"))
    new = hashlib.sha384(path.read_bytes()).hexdigest()
    info = acodb("migrate", "info", "-D", DB)
    assert info.lines == [
        "1/installed create users",
        "2/installed (different checksum) create posts",
        f"applied migration had checksum {old}",
        f"local migration has checksum {new}",
        "3/installed add index",
    ]
    run = acodb("migrate", "run", "-D", DB)
    assert run.code == 1
    assert "migration 2 was previously applied but has been modified" in run.err
    assert old in run.err and new in run.err


def test_line_endings_changed(acodb: Acodb, blog: Path) -> None:
    assert acodb("migrate", "run", "-D", DB).code == 0
    path = blog / "1_create_users.up.sql"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    info = acodb("migrate", "info", "-D", DB)
    assert info.lines[0] == "1/installed (different checksum) create users"
    assert info.lines[3] == "line endings changed (CRLF/LF or a UTF-8 BOM); the SQL is the same"
    run = acodb("migrate", "run", "-D", DB)
    assert run.code == 1 and "line endings changed" in run.err


def test_missing_migration(acodb: Acodb, blog: Path, tmp_path: Path) -> None:
    assert acodb("migrate", "run", "-D", DB).code == 0
    (blog / "3_add_index.up.sql").unlink()
    (blog / "3_add_index.down.sql").unlink()
    info = acodb("migrate", "info", "-D", DB)
    assert info.lines[-1].startswith("3/missing add index")
    run = acodb("migrate", "run", "-D", DB)
    assert run.code == 1
    assert "migration 3 (add index) was previously applied but is missing" in run.err
    assert acodb("migrate", "run", "-D", DB, "--ignore-missing").code == 0
    revert = acodb("migrate", "revert", "-D", DB, "--no-backup")
    assert revert.code == 1 and "missing" in revert.err
    ok = acodb("migrate", "revert", "-D", DB, "--no-backup", "--ignore-missing")
    assert ok.code == 0 and ok.lines[0].startswith("Applied 2/revert create posts")


def test_dirty_migration(acodb: Acodb, tmp_path: Path) -> None:
    write(
        tmp_path / "migrations",
        {
            "1_ok.sql": "CREATE TABLE a (x);\n",
            "2_no_tx.sql": "-- no-transaction\nCREATE TABLE b (x);\nINSERT INTO nope VALUES (1);\n",
        },
    )
    failed = acodb("migrate", "run", "-D", DB)
    assert failed.code == 1 and "dirty" in failed.err
    info = acodb("migrate", "info", "-D", DB)
    assert info.lines[1] == "2/installed (dirty) no tx"
    again = acodb("migrate", "run", "-D", DB)
    assert again.code == 1 and "migration 2 is dirty" in again.err
    assert rows(tmp_path / "app.db")[1][2] == 0


# -- revert ---------------------------------------------------------------------------------------


def test_revert_latest_then_to_zero(acodb: Acodb, blog: Path, tmp_path: Path) -> None:
    assert acodb("migrate", "run", "-D", DB).code == 0
    db = tmp_path / "app.db"
    dry = acodb("migrate", "revert", "-D", DB, "--dry-run")
    assert dry.lines == ["Can apply 3/revert add index (0ns)"]
    one = acodb("migrate", "revert", "-D", DB)
    assert one.code == 0
    assert APPLIED.match(one.lines[1]) and one.lines[1].startswith("Applied 3/revert add index")
    assert versions(db) == [1, 2]
    (backup,) = backups(tmp_path)
    assert versions(backup) == [1, 2, 3]
    too_new = acodb("migrate", "revert", "-D", DB, "--target-version", "3")
    assert too_new.code == 1
    assert "migration 3 is newer than the latest applied migration 2" in too_new.err
    everything = acodb("migrate", "revert", "-D", DB, "--target-version", "0", "--no-backup")
    assert [line.split(" (")[0] for line in everything.lines] == [
        "Applied 2/revert create posts",
        "Applied 1/revert create users",
    ]
    assert versions(db) == []
    assert schema_of(db).tables == {} and schema_of(backup).tables != {}
    nothing = acodb("migrate", "revert", "-D", DB)
    assert nothing.lines == ["No migrations available to revert"]


def test_revert_to_target_prints_skipped(acodb: Acodb, blog: Path, tmp_path: Path) -> None:
    assert acodb("migrate", "run", "-D", DB).code == 0
    result = acodb("migrate", "revert", "-D", DB, "--target-version", "1", "--no-backup")
    assert [line.split(" (")[0] for line in result.lines] == [
        "Applied 3/revert add index",
        "Applied 2/revert create posts",
        "Skipped 1/revert create users",
    ]
    assert versions(tmp_path / "app.db") == [1]


def test_revert_refuses_past_a_simple_migration(acodb: Acodb, tmp_path: Path) -> None:
    write(
        tmp_path / "migrations",
        {
            "1_a.up.sql": "CREATE TABLE a (x);\n",
            "1_a.down.sql": "DROP TABLE a;\n",
            "2_b.sql": "CREATE TABLE b (x);\n",
            "3_c.up.sql": "CREATE TABLE c (x);\n",
            "3_c.down.sql": "DROP TABLE c;\n",
        },
    )
    db = tmp_path / "app.db"
    assert acodb("migrate", "run", "-D", DB).code == 0
    assert acodb("migrate", "revert", "-D", DB, "--no-backup").code == 0
    assert versions(db) == [1, 2]
    before = db.read_bytes()
    refused = acodb("migrate", "revert", "-D", DB)
    assert refused.code == 1
    assert "refusing to revert past migration 2" in refused.err
    assert "simple migration with no down script" in refused.err
    assert "--skip-simple" in refused.err
    assert db.read_bytes() == before and backups(tmp_path) == []
    sqlx_like = acodb("migrate", "revert", "-D", DB, "--skip-simple", "--no-backup")
    assert sqlx_like.code == 0 and sqlx_like.lines[0].startswith("Applied 1/revert a ")
    assert versions(db) == [2]


def test_seed_style_down_section_is_revertible(acodb: Acodb, tmp_path: Path) -> None:
    write(
        tmp_path / "migrations",
        {
            "20250115000001_create_tasks.sql": (
                "-- UP\nCREATE TABLE tasks (id TEXT PRIMARY KEY);\n"
                "CREATE INDEX idx_tasks ON tasks(id);\n\n"
                "-- DOWN\n-- DROP INDEX idx_tasks;\n-- DROP TABLE tasks;\n"
            ),
        },
    )
    db = tmp_path / "app.db"
    assert acodb("migrate", "run", "-D", DB).code == 0
    result = acodb("migrate", "revert", "-D", DB, "--no-backup")
    assert result.code == 0
    assert result.lines[0].startswith("Applied 20250115000001/revert create tasks (")
    assert versions(db) == []
    assert "tasks" not in schema_of(db).tables


# -- add ------------------------------------------------------------------------------------------


def test_add_first_migration_uses_a_timestamp(acodb: Acodb, tmp_path: Path) -> None:
    before = time.time()
    result = acodb("migrate", "add", "create users")
    after = time.time()
    assert result.code == 0
    (path,) = (tmp_path / "migrations").iterdir()
    version, _, rest = path.name.partition("_")
    stamp = calendar.timegm(time.strptime(version, "%Y%m%d%H%M%S"))  # UTC, whole seconds
    # The clock may step back a little on a loaded VM between two readings: allow a second.
    assert before - 2 <= stamp <= after + 1 and rest == "create_users.sql"
    assert path.read_bytes() == b"-- Add migration script here\n"
    assert result.lines == [f"Creating migrations/{path.name}"]


def test_add_reversible_pair(acodb: Acodb, tmp_path: Path) -> None:
    result = acodb("migrate", "add", "-r", "create users")
    assert result.code == 0
    up, down = (Path(line.removeprefix("Creating ")) for line in result.lines)
    assert up.name.endswith("_create_users.up.sql") and down.name.endswith("_create_users.down.sql")
    assert (tmp_path / up).read_text() == "-- Add up migration script here\n"
    assert (tmp_path / down).read_text() == "-- Add down migration script here\n"
    # the next one follows the newest migration's kind, as sqlx infers it
    follow = acodb("migrate", "add", "-s", "create posts")
    assert len(follow.lines) == 2 and follow.lines[1].endswith(".down.sql")
    simple = acodb("migrate", "add", "-s", "--simple", "seed data")
    assert len(simple.lines) == 1 and simple.lines[0].endswith("_seed_data.sql")


@pytest.mark.parametrize(
    ("existing", "expected"),
    [
        (["0001_a.sql", "0002_b.sql"], "0003"),
        (["0001_a.up.sql", "0001_a.down.sql", "0002_b.up.sql", "0002_b.down.sql"], "0003"),
        (["1_a.sql"], "0002"),
        (["0_a.sql"], "0001"),
        (["41_a.sql", "42_b.sql"], "0043"),
    ],
)
def test_add_infers_sequential_versions(
    acodb: Acodb, tmp_path: Path, existing: list[str], expected: str
) -> None:
    write(tmp_path / "migrations", {name: "SELECT 1;\n" for name in existing})
    result = acodb("migrate", "add", "next")
    assert result.code == 0
    assert result.lines[0].startswith(f"Creating migrations/{expected}_next.")


@pytest.mark.parametrize(
    "existing",
    [["20250115000001_a.sql", "20250115000005_b.sql"], ["5_a.sql"], ["1_a.sql", "3_b.sql"]],
)
def test_add_infers_timestamps(acodb: Acodb, tmp_path: Path, existing: list[str]) -> None:
    write(tmp_path / "migrations", {name: "SELECT 1;\n" for name in existing})
    result = acodb("migrate", "add", "next")
    assert re.fullmatch(r"Creating migrations/\d{14}_next\.sql", result.lines[0])


def test_add_forced_numbering(acodb: Acodb, tmp_path: Path) -> None:
    write(tmp_path / "migrations", {"20250115000007_a.sql": "SELECT 1;\n"})
    seq = acodb("migrate", "add", "-s", "next")
    assert seq.lines == ["Creating migrations/20250115000008_next.sql"]
    write(tmp_path / "other", {"0001_a.sql": "", "0002_b.sql": ""})
    ts = acodb("migrate", "add", "--source", "other", "-t", "stamp")
    assert re.fullmatch(r"Creating other/\d{14}_stamp\.sql", ts.lines[0])
    both = acodb("migrate", "add", "-s", "-t", "x")
    assert both.code == 2


def test_add_rejects_bad_descriptions_and_clashes(acodb: Acodb, tmp_path: Path) -> None:
    bad = acodb("migrate", "add", "../escape")
    assert bad.code == 1 and "not a usable migration description" in bad.err
    assert not list(tmp_path.rglob("*escape*"))
    directory = write(tmp_path / "migrations", {"20250115000000_a.sql": "SELECT 1;\n"})
    noon = time.mktime((2025, 1, 15, 0, 0, 0, 0, 0, 0)) - time.timezone
    with pytest.raises(SourceError, match="version 20250115000000 already exists"):
        add_migration(directory, "again", timestamp=True, now=noon)
    (created,) = add_migration(directory, "later", timestamp=True, now=noon + 61)
    assert created.name == "20250115000101_later.sql"


# -- lock / verify --------------------------------------------------------------------------------


def test_lock_and_verify(acodb: Acodb, blog: Path) -> None:
    missing = acodb("migrate", "verify")
    assert missing.code == 1 and "no lock file" in missing.err
    locked = acodb("migrate", "lock")
    assert locked.code == 0
    assert locked.lines == ["Wrote migrations/acodb.lock (3 migrations); commit it"]
    ok = acodb("migrate", "verify")
    assert ok.code == 0 and ok.lines[0].startswith("OK: 3 migrations match")
    assert acodb("migrate", "info", "-D", DB).lines[0] == "1/pending create users"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("edit", "migration 2 was edited after it was locked"),
        ("remove", "migration 2 (create posts) is locked but its file was removed"),
        ("renumber", "migration 2 (create posts) was renumbered to 9"),
    ],
)
def test_verify_catches_changes(acodb: Acodb, blog: Path, change: str, expected: str) -> None:
    assert acodb("migrate", "lock").code == 0
    up, down = blog / "2_create_posts.up.sql", blog / "2_create_posts.down.sql"
    if change == "edit":
        up.write_text("CREATE TABLE posts (id INTEGER PRIMARY KEY);\n")
    elif change == "remove":
        up.unlink()
        down.unlink()
    else:
        up.rename(blog / "9_create_posts.up.sql")
        down.rename(blog / "9_create_posts.down.sql")
    result = acodb("migrate", "verify")
    assert result.code == 1
    assert expected in result.out
    assert result.err.startswith("error: ") and "1 locked migration problem" in result.err


# -- schema ---------------------------------------------------------------------------------------


def test_schema_formats(acodb: Acodb, blog: Path, tmp_path: Path) -> None:
    sql = acodb("schema")
    assert sql.code == 0
    assert "CREATE TABLE users" in sql.out and "CREATE TABLE posts" in sql.out
    assert "_sqlx_migrations" not in sql.out
    data = json.loads(acodb("schema", "--format", "json").out)
    assert sorted(data["tables"]) == ["posts", "users"]
    assert "idx_posts_user" in data["indexes"]
    mermaid = acodb("schema", "--format", "mermaid").out
    assert mermaid.startswith("erDiagram\n")
    for table in ("users", "posts"):
        assert f"    {table} {{" in mermaid
    assert "        INTEGER id PK" in mermaid
    assert "        INTEGER user_id FK" in mermaid
    assert "        TEXT email UK" in mermaid
    assert '    users ||--o{ posts : "user_id"' in mermaid


def test_schema_of_a_database_url_matches_the_migrated_schema(
    acodb: Acodb, blog: Path, tmp_path: Path
) -> None:
    assert acodb("migrate", "run", "-D", DB).code == 0
    before = (tmp_path / "app.db").read_bytes()
    from_db = acodb("schema", "--format", "json", "-D", "sqlite:app.db")
    assert from_db.code == 0
    assert json.loads(from_db.out) == json.loads(acodb("schema", "--format", "json").out)
    assert (tmp_path / "app.db").read_bytes() == before


def test_schema_of_the_bundled_migrations(acodb: Acodb) -> None:
    result = acodb("schema", "--source", str(bundled_migrations_dir()), "--format", "mermaid")
    assert result.code == 0
    for table in (
        "tasks",
        "workflows",
        "workflow_tasks",
        "tool_executions",
        "sessions",
        "configurations",
    ):
        assert f"    {table} {{" in result.out
    assert "workflows ||--o{ workflow_tasks" in result.out


# -- help and usage -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["migrate"],
        ["migrate", "run"],
        ["migrate", "revert"],
        ["migrate", "info"],
        ["migrate", "status"],
        ["migrate", "list"],
        ["migrate", "add"],
        ["migrate", "lock"],
        ["migrate", "verify"],
        ["schema"],
    ],
)
def test_help_on_every_verb(acodb: Acodb, argv: list[str]) -> None:
    result = acodb(*argv, "--help")
    assert result.code == 0
    assert result.out.startswith("usage: acodb")


def test_usage_errors_exit_2(acodb: Acodb) -> None:
    assert acodb().code == 2
    assert acodb("migrate", "run", "--target-version", "x").code == 2
    assert acodb("migrate", "frobnicate").code == 2


# -- real processes -------------------------------------------------------------------------------


def _spawn(cwd: Path, *argv: str) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("DATABASE_URL", None)
    return subprocess.Popen(
        [sys.executable, "-m", "pytest_acodb.cli", *argv],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_subprocess_error_is_one_line_without_traceback(blog: Path, tmp_path: Path) -> None:
    proc = _spawn(tmp_path, "migrate", "run", "-D", "sqlite:absent.db")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert out == ""
    assert err.startswith("error: database URL 'sqlite:absent.db'") and err.count("\n") == 1


def test_two_concurrent_runs_apply_each_migration_once(tmp_path: Path) -> None:
    files = {}
    for i in range(1, 16):
        files[f"{i:04d}_table_{i}.sql"] = (
            f"CREATE TABLE t{i} (n INTEGER PRIMARY KEY, v TEXT);\n"
            f"WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 40000)\n"
            f"INSERT INTO t{i} SELECT n, hex(randomblob(16)) FROM c;\n"
        )
    write(tmp_path / "migrations", files)
    procs = [_spawn(tmp_path, "migrate", "run", "-D", DB) for _ in range(2)]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    assert all(err == "" for _, err in results)
    applied = [ln for out, _ in results for ln in out.splitlines() if ln.startswith("Applied")]
    assert len(applied) == 15
    assert versions(tmp_path / "app.db") == list(range(1, 16))
    with sqlite3.connect(tmp_path / "app.db") as conn:
        assert conn.execute("SELECT count(*) FROM t15").fetchone() == (40000,)


# -- a closed pipe --------------------------------------------------------------------------------


def _wide(directory: Path, tables: int = 300) -> Path:
    """Migrations whose schema prints far more than a pipe buffer holds (64 KiB)."""
    columns = ", ".join(f"column_number_{n} TEXT NOT NULL DEFAULT 'x'" for n in range(80))
    return write(
        directory,
        {
            f"{i:04d}_t{i}.sql": f"CREATE TABLE t{i} (id INTEGER PRIMARY KEY, {columns});\n"
            for i in range(1, tables + 1)
        },
    )


@pytest.mark.parametrize("form", ["sql", "json", "mermaid"])
def test_schema_into_a_pipe_closed_early_exits_quietly(tmp_path: Path, form: str) -> None:
    _wide(tmp_path / "migrations")
    proc = _spawn(tmp_path, "schema", "--format", form)
    assert proc.stdout is not None
    first = proc.stdout.readline()  # what `| head -1` reads, then it closes the pipe
    proc.stdout.close()
    _, err = proc.communicate(timeout=120)
    assert first
    assert err == ""  # no "Broken pipe", no traceback, no "Exception ignored"
    assert proc.returncode == 0


def test_a_closed_pipe_never_stops_a_migration(tmp_path: Path) -> None:
    _wide(tmp_path / "migrations", tables=40)
    proc = _spawn(tmp_path, "migrate", "run", "-D", DB)
    assert proc.stdout is not None
    proc.stdout.close()  # the reader is gone before the first line
    _, err = proc.communicate(timeout=120)
    assert (proc.returncode, err) == (0, "")
    assert versions(tmp_path / "app.db") == list(range(1, 41))


def test_the_bundled_migrations_need_no_hunting_in_site_packages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:{tmp_path / 'orchestrator.db'}?mode=rwc"
    assert main(["migrate", "run", "--source", "@acolib", "-D", url]) == 0
    assert "Applied 20250115000007/migrate create triggers" in capsys.readouterr().out
    assert main(["migrate", "info", "--source", "@acolib", "-D", url]) == 0
    assert "20250115000007/installed create triggers" in capsys.readouterr().out
    for verb in (["add", "x"], ["lock"]):
        assert main(["migrate", *verb, "--source", "@acolib"]) == 1
        assert "bundled acolib migrations, which are read only" in capsys.readouterr().err
