"""The committed checksum lock: writing it, and catching edited, removed, renumbered migrations."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from pytest_acodb.errors import SourceError
from pytest_acodb.migrate import resolve
from pytest_acodb.migrate.lockfile import lock_path, read_lock, verify_lock, write_lock


@pytest.fixture
def migrations(tmp_path: Path) -> Path:
    directory = tmp_path / "migrations"
    directory.mkdir()
    (directory / "1_create_users.up.sql").write_text("CREATE TABLE users (id INTEGER);\n")
    (directory / "1_create_users.down.sql").write_text("DROP TABLE users;\n")
    (directory / "2_create_posts.sql").write_text("CREATE TABLE posts (id INTEGER);\n")
    (directory / "3_add_index.sql").write_text("CREATE INDEX i ON posts(id);\n")
    return directory


def test_lock_file_has_a_header_and_one_line_per_migration(migrations: Path) -> None:
    path = write_lock(migrations)
    assert path == migrations / "acodb.lock" == lock_path(migrations)
    text = path.read_text()
    assert text.startswith("# acodb migration lock")
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    expected = hashlib.sha384((migrations / "1_create_users.up.sql").read_bytes()).hexdigest()
    assert lines[0] == f"1\tcreate users\t{expected}"
    assert [line.split("\t")[:2] for line in lines] == [
        ["1", "create users"],
        ["2", "create posts"],
        ["3", "add index"],
    ]
    assert [(e.version, e.description) for e in read_lock(path)] == [
        (1, "create users"),
        (2, "create posts"),
        (3, "add index"),
    ]


def test_lock_file_is_not_a_migration(migrations: Path) -> None:
    write_lock(migrations)
    source = resolve(migrations)
    assert [m.version for m in source] == [1, 2, 3]
    assert source.ignored == []


def test_no_lock_file_means_no_problems(migrations: Path) -> None:
    assert verify_lock(migrations) == []
    assert not lock_path(migrations).exists()


def test_unchanged_migrations_verify(migrations: Path) -> None:
    write_lock(migrations)
    assert verify_lock(migrations) == []
    assert verify_lock(resolve(migrations)) == []


def test_new_migration_above_the_lock_is_fine(migrations: Path) -> None:
    write_lock(migrations)
    (migrations / "4_more.sql").write_text("SELECT 1;\n")
    assert verify_lock(migrations) == []


def test_edited_migration_shows_both_checksums(migrations: Path) -> None:
    write_lock(migrations)
    path = migrations / "2_create_posts.sql"
    old = hashlib.sha384(path.read_bytes()).hexdigest()
    path.write_text("CREATE TABLE posts (id INTEGER, body TEXT);\n")
    new = hashlib.sha384(path.read_bytes()).hexdigest()
    (found,) = verify_lock(migrations)
    problem = str(found)
    assert "migration 2 was edited" in problem
    assert old in problem and new in problem
    assert "new migration" in problem  # tells what to do instead


def test_line_endings_are_named(migrations: Path) -> None:
    write_lock(migrations)
    path = migrations / "2_create_posts.sql"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    (found,) = verify_lock(migrations)
    problem = str(found)
    assert "line endings changed" in problem


def test_removed_migration(migrations: Path) -> None:
    write_lock(migrations)
    (migrations / "2_create_posts.sql").unlink()
    (found,) = verify_lock(migrations)
    problem = str(found)
    assert "migration 2 (create posts)" in problem and "removed" in problem


def test_renumbered_migration(migrations: Path) -> None:
    write_lock(migrations)
    (migrations / "2_create_posts.sql").rename(migrations / "5_create_posts.sql")
    (found,) = verify_lock(migrations)
    problem = str(found)
    assert "migration 2 (create posts) was renumbered to 5" in problem


def test_renamed_migration(migrations: Path) -> None:
    write_lock(migrations)
    (migrations / "3_add_index.sql").rename(migrations / "3_add_posts_index.sql")
    (found,) = verify_lock(migrations)
    problem = str(found)
    assert "renamed" in problem and "'add posts index'" in problem


def test_new_migration_older_than_the_lock(migrations: Path) -> None:
    (migrations / "3_add_index.sql").rename(migrations / "30_add_index.sql")
    write_lock(migrations)
    (migrations / "10_sneaky.sql").write_text("SELECT 1;\n")
    (found,) = verify_lock(migrations)
    problem = str(found)
    assert "new migration 10 is older than the newest locked migration 30" in problem


def test_several_problems_come_in_version_order(migrations: Path) -> None:
    write_lock(migrations)
    (migrations / "3_add_index.sql").write_text("CREATE INDEX j ON posts(id);\n")
    (migrations / "1_create_users.up.sql").unlink()
    problems = verify_lock(migrations)
    assert [(p.version, p.kind) for p in problems] == [(1, "removed"), (3, "edited")]
    assert "migration 1" in str(problems[0]) and "migration 3" in str(problems[1])


def test_malformed_lock_file_names_the_line(migrations: Path) -> None:
    lock_path(migrations).write_text("# header\n1\tcreate users\tnot-hex\n")
    with pytest.raises(SourceError, match=r"acodb.lock:2: not a lock line"):
        verify_lock(migrations)
