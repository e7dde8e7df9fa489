"""The migration engine on real SQLite: sqlx's file rules, checksums, apply, revert, validate."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from pytest_acodb import bundled_migrations_dir
from pytest_acodb.db.connect import connect
from pytest_acodb.errors import (
    DuplicateVersionError,
    MigrateError,
    MigrationLockTimeout,
    SimpleMigrationInTheWayError,
    SourceError,
    TargetNotFoundError,
    TargetTooNewError,
    TargetTooOldError,
    TransactionOpenError,
)
from pytest_acodb.migrate import MigrationType, Migrator, State, parse_filename, resolve
from pytest_acodb.migrate.runlock import LOCK_SUFFIX, MigrationLock, database_file
from pytest_acodb.migrate.sql import split_statements
from pytest_acodb.schema import snapshot


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("001_init.sql", (1, "init", MigrationType.SIMPLE)),
        ("+5_x.sql", (5, "x", MigrationType.SIMPLE)),
        ("-1_x.sql", (-1, "x", MigrationType.SIMPLE)),
        ("1_foo.sql.sql", (1, "foo", MigrationType.SIMPLE)),
        ("1_.sql", (1, "", MigrationType.SIMPLE)),
        ("1_add_users_table.up.sql", (1, "add users table", MigrationType.REVERSIBLE_UP)),
        ("1_add_users_table.down.sql", (1, "add users table", MigrationType.REVERSIBLE_DOWN)),
        ("9223372036854775807_max.sql", (2**63 - 1, "max", MigrationType.SIMPLE)),
        ("20250115_001_create_tasks.sql", (20250115, "001 create tasks", MigrationType.SIMPLE)),
    ],
)
def test_parse_filename_follows_sqlx(name: str, expected: tuple[int, str, MigrationType]) -> None:
    parsed = parse_filename(name)
    assert parsed is not None
    assert (parsed.version, parsed.description, parsed.migration_type) == expected


@pytest.mark.parametrize(
    "name", ["20240102-add.sql", "1_x.SQL", "README.md", "expect", "1_x.sql.bak", "acodb.lock"]
)
def test_parse_filename_ignores_what_sqlx_ignores(name: str) -> None:
    assert parse_filename(name) is None


@pytest.mark.parametrize(
    "name",
    ["abc_def.sql", "_x.sql", "1 _x.sql", "9223372036854775808_x.sql", "+_x.sql", "١_x.sql"],  # noqa: RUF001 (a non-ASCII digit on purpose)
)
def test_parse_filename_rejects_non_i64_versions(name: str) -> None:
    with pytest.raises(SourceError, match="integer version"):
        parse_filename(name)


@pytest.mark.parametrize(
    "body",
    [
        b"CREATE TABLE t (id INTEGER);\n",
        b"CREATE TABLE t (id INTEGER);\r\n",
        b"\xef\xbb\xbfCREATE TABLE t (id INTEGER);\n",
    ],
    ids=["lf", "crlf", "bom"],
)
def test_checksum_is_sha384_of_raw_bytes(tmp_path: Path, body: bytes) -> None:
    (tmp_path / "1_t.sql").write_bytes(body)
    migration = resolve(tmp_path).migrations[0]
    assert migration.checksum == hashlib.sha384(body).digest()
    assert len(migration.checksum) == 48


def test_checksums_differ_between_line_endings(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "1_t.sql").write_bytes(b"SELECT 1;\n")
    (tmp_path / "b" / "1_t.sql").write_bytes(b"SELECT 1;\r\n")
    assert (
        resolve(tmp_path / "a").migrations[0].checksum
        != resolve(tmp_path / "b").migrations[0].checksum
    )


def test_sqlx_toml_ignored_chars_make_crlf_and_lf_equal(tmp_path: Path) -> None:
    (tmp_path / "sqlx.toml").write_text('[migrate]\nignored-chars = ["\\r"]\n')
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "1_t.sql").write_bytes(b"SELECT 1;\r\n")
    migration = resolve(tmp_path / "migrations").migrations[0]
    assert migration.checksum == hashlib.sha384(b"SELECT 1;\n").digest()


def test_duplicate_versions_name_every_file() -> None:
    seed_cases = Path(__file__).parent / "cases" / "seed_file_names"
    with pytest.raises(DuplicateVersionError) as info:
        resolve(seed_cases)
    assert info.value.version == 20250115
    assert len(info.value.paths) == 7
    for path in seed_cases.glob("*.sql"):
        assert path.name in str(info.value)


def test_bundled_migrations_apply_with_sqlx_bookkeeping() -> None:
    source = resolve(bundled_migrations_dir())
    assert [m.version for m in source] == [20250115000001 + i for i in range(7)]
    assert all(m.reversible for m in source)
    conn = connect(":memory:")
    Migrator(source).run(conn)
    rows = conn.execute(
        "SELECT version, description, success, checksum, execution_time, installed_on "
        "FROM _sqlx_migrations ORDER BY version"
    ).fetchall()
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
        (m.version, m.description, 1, hashlib.sha384(m.path.read_bytes()).digest()) for m in source
    ]
    assert rows[0][1] == "create tasks"
    assert all(r[4] > 0 for r in rows)  # nanoseconds, set after commit
    assert all(r[5] for r in rows)
    ddl = conn.execute("SELECT sql FROM sqlite_schema WHERE name = '_sqlx_migrations'").fetchone()
    assert "checksum BLOB NOT NULL" in ddl[0] and "version BIGINT PRIMARY KEY" in ddl[0]


def _write(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text)
    return directory


def test_failing_statement_rolls_back_and_names_file_and_line(tmp_path: Path) -> None:
    src = resolve(
        _write(
            tmp_path / "m",
            {
                "1_a.sql": "CREATE TABLE a (id INTEGER PRIMARY KEY);\n",
                "2_b.sql": "CREATE TABLE b (id INTEGER);\nINSERT INTO b VALUES (1);\n\n"
                "INSERT INTO nowhere VALUES (1);\n",
            },
        )
    )
    conn = connect(":memory:")
    migrator = Migrator(src)
    with pytest.raises(MigrateError) as info:
        migrator.run(conn)
    error = info.value
    assert error.version == 2
    assert error.path is not None and error.path.name == "2_b.sql"
    assert error.line == 4
    assert error.statement == "INSERT INTO nowhere VALUES (1);"
    assert "no such table: nowhere" in str(error)
    assert "2_b.sql:4" in str(error)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")}
    assert tables == {"a", "_sqlx_migrations"}
    assert list(migrator.applied(conn)) == [1]


def test_foreign_keys_are_on_during_migrations(tmp_path: Path) -> None:
    src = resolve(
        _write(
            tmp_path / "m",
            {
                "1_a.sql": "CREATE TABLE p (id INTEGER PRIMARY KEY);\n"
                "CREATE TABLE c (p INTEGER REFERENCES p(id));\n",
                "2_b.sql": "INSERT INTO c VALUES (42);\n",
            },
        )
    )
    conn = sqlite3.connect(":memory:", isolation_level=None)  # foreign keys off by default
    with pytest.raises(MigrateError, match="FOREIGN KEY constraint failed"):
        Migrator(src).run(conn)


def test_revert_and_targets(tmp_path: Path) -> None:
    src = resolve(
        _write(
            tmp_path / "m",
            {
                "1_a.up.sql": "CREATE TABLE a (id INTEGER);",
                "1_a.down.sql": "DROP TABLE a;",
                "2_b.up.sql": "CREATE TABLE b (id INTEGER);",
                "2_b.down.sql": "DROP TABLE b;",
                "3_c.up.sql": "CREATE TABLE c (id INTEGER);",
                "3_c.down.sql": "DROP TABLE c;",
            },
        )
    )
    conn = connect(":memory:")
    migrator = Migrator(src)
    first = migrator.run(conn, target=2)
    assert [m.version for m in first.apply] == [1, 2]
    assert [m.version for m in first.skip] == [3]
    assert [m.version for m in migrator.run(conn).apply] == [3]
    assert [m.version for m in migrator.undo(conn).revert] == [3]
    assert [m.version for m in migrator.undo(conn, target=0).revert] == [2, 1]
    assert migrator.applied(conn) == {}
    assert set(snapshot(conn, exclude=("_sqlx_migrations",)).tables) == set()
    with pytest.raises(TargetNotFoundError, match="migration 7 is not present") as info:
        migrator.run(conn, target=7)
    assert (info.value.target, info.value.choices) == (7, (1, 2, 3))


def test_safe_revert_refuses_to_skip_simple_migration(tmp_path: Path) -> None:
    src = resolve(
        _write(
            tmp_path / "m",
            {
                "1_a.up.sql": "CREATE TABLE a (id INTEGER);",
                "1_a.down.sql": "DROP TABLE a;",
                "2_b.sql": "CREATE TABLE b (id INTEGER);",
            },
        )
    )
    conn = connect(":memory:")
    migrator = Migrator(src)
    migrator.run(conn)
    with pytest.raises(SimpleMigrationInTheWayError, match="refusing to revert past migration 2"):
        migrator.undo(conn)
    plan = migrator.undo(conn, skip_simple=True)  # sqlx passes over simple ones
    assert [m.version for m in plan.revert] == [1] and [m.version for m in plan.passed] == [2]


def test_seed_style_down_section_reverts(tmp_path: Path) -> None:
    src = resolve(
        _write(
            tmp_path / "m",
            {
                "1_tasks.sql": "-- UP\nCREATE TABLE IF NOT EXISTS tasks (id TEXT PRIMARY KEY);\n\n"
                "-- DOWN\n-- DROP TABLE IF EXISTS tasks;\n",
            },
        )
    )
    migration = src.migrations[0]
    assert migration.migration_type is MigrationType.SIMPLE and migration.reversible
    conn = connect(":memory:")
    migrator = Migrator(src)
    migrator.run(conn)
    migrator.undo(conn)
    assert (
        conn.execute("SELECT count(*) FROM sqlite_schema WHERE name = 'tasks'").fetchone()[0] == 0
    )


def test_no_transaction_failure_marks_database_dirty(tmp_path: Path) -> None:
    src = resolve(
        _write(
            tmp_path / "m",
            {
                "1_a.sql": "-- no-transaction\nCREATE TABLE a (id INTEGER);\nINSERT INTO zz VALUES (1);\n",
            },
        )
    )
    conn = connect(":memory:")
    migrator = Migrator(src)
    with pytest.raises(MigrateError, match="dirty") as info:
        migrator.run(conn)
    assert info.value.dirty
    assert migrator.applied(conn)[1].success is False
    assert [p.kind for p in migrator.validate(conn)] == ["dirty"]


def test_validate_reports_modified_missing_pending_and_line_endings(tmp_path: Path) -> None:
    directory = _write(
        tmp_path / "m",
        {
            "1_a.sql": "CREATE TABLE a (id INTEGER);\n",
            "2_b.sql": "CREATE TABLE b (id INTEGER);\n",
            "3_c.sql": "CREATE TABLE c (id INTEGER);\n",
        },
    )
    conn = connect(":memory:")
    Migrator(resolve(directory)).run(conn)
    (directory / "1_a.sql").write_bytes(b"CREATE TABLE a (id INTEGER);\r\n")
    (directory / "2_b.sql").write_text("CREATE TABLE b (id TEXT);\n")
    (directory / "3_c.sql").unlink()
    (directory / "4_d.sql").write_text("CREATE TABLE d (id INTEGER);\n")
    problems = Migrator(resolve(directory)).validate(conn)
    assert [(p.version, p.kind) for p in problems] == [
        (1, "line_endings"),
        (2, "modified"),
        (3, "missing"),
        (4, "pending"),
    ]
    assert "line endings changed" in str(problems[0])
    assert "previously applied but has been modified" in str(problems[1])


def test_split_statements_handles_triggers_strings_and_comments() -> None:
    sql = (
        "-- header\nCREATE TABLE a (x TEXT DEFAULT ';');\n"
        "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  UPDATE a SET x = 'a;b';\nEND;\n"
        "/* tail */ SELECT 1"
    )
    statements = split_statements(sql)
    assert [s.line for s in statements] == [2, 3, 6]
    assert statements[1].text.endswith("END;")
    assert split_statements("-- nothing to undo\n") == []


def test_missing_and_file_paths_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="does not exist"):
        resolve(tmp_path / "nope")
    (tmp_path / "file.sql").write_text("")
    with pytest.raises(SourceError, match="is a file"):
        resolve(tmp_path / "file.sql")


def test_non_utf8_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "1_latin1.sql").write_bytes("SELECT 'é';".encode("latin-1"))
    with pytest.raises(SourceError, match=r"1_latin1\.sql: not valid UTF-8"):
        resolve(tmp_path)


# -- plans, statuses and the migration lock --------------------------------------------------------


def _blog(directory: Path) -> Path:
    return _write(
        directory,
        {
            "1_a.up.sql": "CREATE TABLE a (id INTEGER);",
            "1_a.down.sql": "DROP TABLE a;",
            "2_b.sql": "CREATE TABLE b (id INTEGER);",
            "3_c.up.sql": "CREATE TABLE c (id INTEGER);",
            "3_c.down.sql": "DROP TABLE c;",
            "4_d.up.sql": "CREATE TABLE d (id INTEGER);",
            "4_d.down.sql": "DROP TABLE d;",
        },
    )


def test_plan_run_applies_up_to_the_target_and_skips_the_rest(tmp_path: Path) -> None:
    migrator = Migrator(resolve(_blog(tmp_path / "m")))
    conn = connect(":memory:")
    plan = migrator.plan_run(conn, 2)
    assert ([m.version for m in plan.apply], [m.version for m in plan.skip]) == ([1, 2], [3, 4])
    assert migrator.applied(conn) == {}  # planning changes nothing, not even the table
    assert migrator.run(conn, 2, dry_run=True) == plan  # a dry run is the same plan
    assert migrator.run(conn, 2) == plan
    assert sorted(migrator.applied(conn)) == [1, 2]
    with pytest.raises(TargetTooOldError) as info:
        migrator.plan_run(conn, 1)
    assert (info.value.target, info.value.latest) == (1, 2)


def test_plan_revert_keeps_and_passes_over(tmp_path: Path) -> None:
    migrator = Migrator(resolve(_blog(tmp_path / "m")))
    conn = connect(":memory:")
    migrator.run(conn)
    newest = migrator.plan_revert(conn)
    assert [m.version for m in newest.revert] == [4] and newest.keep == ()
    to_three = migrator.plan_revert(conn, 3)
    assert [m.version for m in to_three.revert] == [4]
    assert [m.version for m in to_three.keep] == [3, 1]  # sqlx's "Skipped" lines
    with pytest.raises(SimpleMigrationInTheWayError) as info:
        migrator.plan_revert(conn, 0)
    assert info.value.version == 2
    passing = migrator.plan_revert(conn, 0, skip_simple=True)
    assert [m.version for m in passing.revert] == [4, 3, 1]
    assert [m.version for m in passing.passed] == [2]
    with pytest.raises(TargetTooNewError):
        Migrator(resolve(tmp_path / "m")).plan_revert(connect(":memory:"), 3)


def test_the_target_is_checked_once_with_one_message(tmp_path: Path) -> None:
    migrator = Migrator(resolve(_blog(tmp_path / "m")))
    conn = connect(":memory:")
    messages = set()
    for plan in (
        lambda: migrator.plan_run(conn, 7),
        lambda: migrator.plan_revert(conn, 7),
        lambda: migrator.run(conn, 7, dry_run=True),
        lambda: migrator.undo(conn, 7),
    ):
        with pytest.raises(TargetNotFoundError) as info:
            plan()
        assert info.value.choices == (1, 2, 3, 4)
        messages.add(str(info.value).split(";")[0])
    assert messages == {f"migration 7 is not present in the migration source {tmp_path / 'm'}"}
    assert migrator.plan_revert(conn, 0).revert == ()  # 0 always exists for a revert


def test_status_has_one_record_per_version_with_both_checksums(tmp_path: Path) -> None:
    directory = _blog(tmp_path / "m")
    conn = connect(":memory:")
    Migrator(resolve(directory)).run(conn, 3)
    (directory / "1_a.up.sql").write_bytes(b"CREATE TABLE a (id INTEGER);\r\n")
    (directory / "2_b.sql").unlink()
    (directory / "3_c.up.sql").write_text("CREATE TABLE c (id TEXT);")
    conn.execute("UPDATE _sqlx_migrations SET success = FALSE WHERE version = 3")
    migrator = Migrator(resolve(directory))
    statuses = migrator.status(conn)
    assert [(s.version, s.state) for s in statuses] == [
        (1, State.MODIFIED),  # a CRLF where there was none: the bytes differ (not only endings)
        (2, State.MISSING),
        (3, State.DIRTY),
        (4, State.PENDING),
    ]
    first = statuses[0]
    assert first.local_checksum is not None and first.applied_checksum is not None
    assert first.local_checksum != first.applied_checksum
    assert statuses[1].migration is None and statuses[1].description == "b"
    assert statuses[3].applied is None and statuses[3].applied_checksum is None
    assert [type(p).__name__ for p in migrator.validate(conn)] == [
        "ModifiedMigrationError",
        "MissingMigrationError",
        "DirtyMigrationError",
        "PendingMigrationError",
    ]
    assert [p.kind for p in migrator.validate(conn, ignore_missing=True)] == [
        "modified",
        "dirty",
        "pending",
    ]


def test_the_lock_is_on_the_resolved_database_file(tmp_path: Path) -> None:
    real = tmp_path / "real.db"
    connect(str(real)).close()
    (tmp_path / "link.db").symlink_to(real)
    conn = connect(str(tmp_path / "link.db"))
    assert database_file(conn) == real
    with Migrator(resolve(_blog(tmp_path / "m"))).lock(conn) as held:
        assert held is not None and held.lock_file == tmp_path / f"real.db{LOCK_SUFFIX}"
        other = MigrationLock(tmp_path / "link.db", timeout=0.2)
        with pytest.raises(MigrationLockTimeout) as info:
            other.acquire()
        assert info.value.lock_file == held.lock_file and info.value.waited == 0.2
    with MigrationLock(tmp_path / "link.db", timeout=0.2):
        pass  # released
    assert database_file(connect(":memory:")) is None


def test_a_connection_inside_a_transaction_is_refused(tmp_path: Path) -> None:
    conn = connect(":memory:")
    conn.execute("BEGIN")
    with pytest.raises(TransactionOpenError):
        Migrator(resolve(_blog(tmp_path / "m"))).run(conn)
