"""sqlx SQLite URLs: the accepted forms, missing files, modes, backups and DATABASE_URL."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from pytest_acodb.db import driver as drivers
from pytest_acodb.db.urls import (
    SqliteUrlError,
    database_url,
    find_dotenv,
    parse_sqlite_url,
)
from pytest_acodb.errors import (
    AcodbError,
    DatabaseMissingError,
    NoDatabaseUrlError,
    NotADatabaseError,
)


@pytest.mark.parametrize(
    ("url", "relative", "mode"),
    [
        ("sqlite:orchestrator.db", "orchestrator.db", "rw"),
        ("sqlite://orchestrator.db", "orchestrator.db", "rw"),
        ("sqlite:data/orchestrator.db?mode=rwc", "data/orchestrator.db", "rwc"),
        ("sqlite://sub/x.db?mode=ro", "sub/x.db", "ro"),
        ("sqlite:my%20file.db", "my file.db", "rw"),
    ],
)
def test_relative_forms_resolve_against_cwd(
    tmp_path: Path, url: str, relative: str, mode: str
) -> None:
    target = parse_sqlite_url(url, cwd=tmp_path)
    assert target.path == tmp_path / relative
    assert target.mode == mode
    assert not target.memory


@pytest.mark.parametrize("url", ["sqlite:///var/lib/acolib/o.db", "sqlite:/var/lib/acolib/o.db"])
def test_absolute_forms(url: str) -> None:
    assert parse_sqlite_url(url).path == Path("/var/lib/acolib/o.db")


@pytest.mark.parametrize("url", ["sqlite::memory:", "sqlite://:memory:", "sqlite:x.db?mode=memory"])
def test_memory_forms(url: str) -> None:
    target = parse_sqlite_url(url)
    assert target.memory and target.path is None and target.mode == "memory"
    with target.connect() as conn:
        conn.execute("CREATE TABLE t (x)")
    assert target.exists()


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("postgres://localhost/db", "not a SQLite URL"),
        ("orchestrator.db", "not a SQLite URL"),
        ("sqlite:", "no database file"),
        ("sqlite:x.db?mode=rwx", "unknown value 'rwx' for `mode`"),
        ("sqlite:x.db?journal=wal", "unknown query parameter `journal`"),
        ("sqlite:x.db?cache=weird", "for `cache`"),
        ("sqlite:x.db?immutable=yes", "for `immutable`"),
    ],
)
def test_rejected_urls_name_the_url_and_the_forms(url: str, problem: str) -> None:
    with pytest.raises(SqliteUrlError) as info:
        parse_sqlite_url(url)
    message = str(info.value)
    assert problem in message
    assert repr(url) in message
    assert "sqlite::memory:" in message and "mode=ro|rw|rwc|memory" in message
    assert "\n" not in message
    assert info.value.url == url
    assert isinstance(info.value, AcodbError)


def test_missing_file_is_an_error_without_rwc(tmp_path: Path) -> None:
    target = parse_sqlite_url("sqlite:missing.db", cwd=tmp_path)
    with pytest.raises(SqliteUrlError, match=r"does not exist.*mode=rwc"):
        target.connect()
    assert not (tmp_path / "missing.db").exists()


def test_rwc_creates_the_file_but_read_only_never_does(tmp_path: Path) -> None:
    target = parse_sqlite_url("sqlite:new.db?mode=rwc", cwd=tmp_path)
    with pytest.raises(DatabaseMissingError, match="a read-only open never creates it"):
        target.connect(read_only=True)
    assert not target.exists()
    conn = target.connect()
    conn.execute("CREATE TABLE t (x)")
    conn.close()
    assert (tmp_path / "new.db").is_file()


def test_read_only_connection_cannot_write(tmp_path: Path) -> None:
    sqlite3.connect(tmp_path / "x.db").close()
    target = parse_sqlite_url("sqlite:x.db", cwd=tmp_path)
    conn = target.connect(read_only=True)
    with pytest.raises(drivers.OperationalError, match="readonly"):
        conn.execute("CREATE TABLE t (x)")
    conn.close()
    assert "mode=ro" in target.uri(read_only=True)
    assert "mode=rw" in target.uri()


def test_connection_has_foreign_keys_on(tmp_path: Path) -> None:
    target = parse_sqlite_url("sqlite:fk.db?mode=rwc", cwd=tmp_path)
    with target.connect() as conn:
        assert conn.execute("PRAGMA foreign_keys").fetchone() == (1,)


def test_directory_is_not_a_database(tmp_path: Path) -> None:
    (tmp_path / "dir.db").mkdir()
    with pytest.raises(NotADatabaseError, match="is a directory, not a database file"):
        parse_sqlite_url("sqlite:dir.db?mode=rwc", cwd=tmp_path).connect()


def test_backup_is_a_consistent_copy_with_a_utc_name(tmp_path: Path) -> None:
    target = parse_sqlite_url("sqlite:o.db?mode=rwc", cwd=tmp_path)
    conn = target.connect()
    conn.execute("CREATE TABLE t (x)")
    conn.execute("INSERT INTO t VALUES (42)")
    first = target.backup(conn)
    second = target.backup(conn)
    conn.close()
    assert first.parent == tmp_path and first.name.startswith("o.db.")
    assert first.name.endswith("Z.bak") and second.name.endswith("-1.bak")
    with sqlite3.connect(first) as copy:
        assert copy.execute("SELECT x FROM t").fetchall() == [(42,)]


def test_memory_target_has_no_backup() -> None:
    target = parse_sqlite_url("sqlite::memory:")
    with target.connect() as conn, pytest.raises(SqliteUrlError, match="no file"):
        target.backup(conn)


def test_database_url_prefers_flag_then_env_then_dotenv(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DATABASE_URL=sqlite:from-dotenv.db\n")
    env = {"DATABASE_URL": "sqlite:from-env.db"}
    assert database_url("sqlite:flag.db", cwd=tmp_path, environ=env) == "sqlite:flag.db"
    assert database_url(None, cwd=tmp_path, environ=env) == "sqlite:from-env.db"
    assert database_url(None, cwd=tmp_path, environ={}) == "sqlite:from-dotenv.db"
    with pytest.raises(NoDatabaseUrlError, match="DATABASE_URL is not set") as info:
        database_url(None, cwd=tmp_path, environ={}, dotenv=False)
    assert info.value.dotenv is None


def test_dotenv_is_found_in_a_parent_directory(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text('DATABASE_URL="sqlite:parent.db"\n')
    child = tmp_path / "a" / "b"
    child.mkdir(parents=True)
    assert find_dotenv(child) == tmp_path / ".env"
    assert database_url(None, cwd=child, environ={}) == "sqlite:parent.db"


def test_dotenv_without_database_url_is_an_error(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("OTHER=1\n")
    with pytest.raises(NoDatabaseUrlError, match="DATABASE_URL is not set") as info:
        database_url(None, cwd=tmp_path, environ={})
    assert info.value.dotenv == tmp_path / ".env"
