"""The database layer without pytest's plugin machinery: templates, clones, the template cache,
the clone slot and the rollback database."""

from __future__ import annotations

import resource
import signal
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from pytest_acodb import bundled_migrations_dir
from pytest_acodb.acolib.factories import TaskFactory, bind_session, unbind_session
from pytest_acodb.db.connect import connect, create_engine, default_connector
from pytest_acodb.db.driver import OperationalError
from pytest_acodb.db.isolation import Databases
from pytest_acodb.db.isolation.clone import CloneSlot
from pytest_acodb.db.isolation.rollback import (
    GuardedConnection,
    RollbackDatabase,
    guarded_class,
    joins_outer_transaction,
)
from pytest_acodb.db.template import Template, template_fingerprint
from pytest_acodb.errors import ConnectionLeakError, IsolationError
from pytest_acodb.migrate import resolve

INSERT_CONFIG = (
    "INSERT INTO configurations (key, value, value_type, is_secret) VALUES (:k, '1', 'integer', 0)"
)


@pytest.fixture(scope="module")
def template() -> Iterator[Template]:
    built = Template(resolve(bundled_migrations_dir()))
    yield built
    built.close()


def _migrations(directory: Path) -> Path:
    directory.mkdir()
    (directory / "1_items.up.sql").write_text("CREATE TABLE items (id INTEGER PRIMARY KEY);\n")
    (directory / "1_items.down.sql").write_text("DROP TABLE items;\n")
    (directory / "2_tags.sql").write_text("CREATE TABLE tags (name TEXT PRIMARY KEY);\n")
    return directory


def _count(target: Any, table: str) -> int:
    """Rows in ``table`` seen through ``target``: a URL (a new engine), an Engine or a
    Connection."""
    sql = text(f"SELECT count(*) FROM {table}")
    if isinstance(target, Connection):
        return int(target.execute(sql).scalar_one())
    engine = create_engine(target) if isinstance(target, str) else target
    with engine.connect() as conn:
        n = int(conn.execute(sql).scalar_one())
    if isinstance(target, str):
        engine.dispose()
    return n


# -- templates and clones ----------------------------------------------------------------------


def test_memory_clone_is_reachable_through_its_url_from_a_second_engine(
    template: Template,
) -> None:
    database = template.clone_memory()
    writer = create_engine(database.url)
    with writer.begin() as conn:
        conn.execute(text(INSERT_CONFIG), {"k": "a"})
    assert _count(database.url, "configurations") == 1
    assert _count(template.clone_memory().url, "configurations") == 0  # a clone of its own
    writer.dispose()
    database.close()


def test_file_clone_is_a_valid_sqlite_file(template: Template, tmp_path: Path) -> None:
    database = template.clone_file(tmp_path / "copy.db")
    assert database.path is not None
    assert database.path.read_bytes()[:16] == b"SQLite format 3\x00"
    conn = sqlite3.connect(database.path)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    versions = [r[0] for r in conn.execute("SELECT version FROM _sqlx_migrations")]
    assert versions == [20250115000001 + i for i in range(7)]
    conn.close()


def test_template_counts_what_it_ran(template: Template) -> None:
    assert template.applied == 7
    assert template.build_ns > 0
    assert template.cache_path is None


def test_fingerprint_changes_when_a_migration_changes(tmp_path: Path) -> None:
    directory = _migrations(tmp_path / "m")
    before = template_fingerprint(resolve(directory))
    assert template_fingerprint(resolve(directory)) == before
    driver = default_connector().driver
    assert before.endswith(f"-{driver.name}{driver.sqlite_version}")
    (directory / "2_tags.sql").write_text("CREATE TABLE tags (name TEXT PRIMARY KEY, n INT);\n")
    edited = template_fingerprint(resolve(directory))
    assert edited != before
    (directory / "1_items.down.sql").write_text("DROP TABLE IF EXISTS items;\n")
    assert template_fingerprint(resolve(directory)) not in (before, edited)


# -- the template cache ------------------------------------------------------------------------


def test_cached_template_is_built_once_then_read(tmp_path: Path) -> None:
    directory = _migrations(tmp_path / "m")
    cache = tmp_path / "cache"
    first = Template.cached(resolve(directory), cache)
    assert first.applied == 2
    assert first.cache_path is not None and first.cache_path.is_file()
    second = Template.cached(resolve(directory), cache)
    assert second.applied == 0
    assert second.image == first.image
    assert second.cache_path == first.cache_path
    clone = second.clone_memory()
    assert _count(clone.url, "tags") == 0
    clone.close()


def test_cached_template_is_rebuilt_when_a_migration_changes(tmp_path: Path) -> None:
    directory = _migrations(tmp_path / "m")
    cache = tmp_path / "cache"
    first = Template.cached(resolve(directory), cache)
    (directory / "2_tags.sql").write_text("CREATE TABLE tags (name TEXT PRIMARY KEY, n INT);\n")
    rebuilt = Template.cached(resolve(directory), cache)
    assert rebuilt.applied == 2
    assert rebuilt.cache_path != first.cache_path


@pytest.mark.parametrize(
    "content",
    [b"not a database", b"", b"SQLite format 3\x00"],
    ids=["garbage", "empty", "truncated"],
)
def test_corrupt_cached_image_is_rebuilt(tmp_path: Path, content: bytes) -> None:
    directory = _migrations(tmp_path / "m")
    cache = tmp_path / "cache"
    first = Template.cached(resolve(directory), cache)
    assert first.cache_path is not None
    first.cache_path.write_bytes(content)
    again = Template.cached(resolve(directory), cache)
    assert again.applied == 2
    assert again.cache_path is not None and again.cache_path.read_bytes()[:6] == b"SQLite"
    assert not first.cache_path.exists() or first.cache_path == again.cache_path


def test_cached_image_whose_rows_or_schema_changed_is_rebuilt(tmp_path: Path) -> None:
    # The migrations table still matches, but the image is not what was stored: never used.
    directory = _migrations(tmp_path / "m")
    cache = tmp_path / "cache"
    first = Template.cached(resolve(directory), cache)
    assert first.cache_path is not None
    conn = connect(first.cache_path)
    conn.execute("CREATE TABLE intruder (x)")
    conn.execute("INSERT INTO tags VALUES ('planted')")
    conn.close()
    again = Template.cached(resolve(directory), cache)
    assert again.applied == 2
    clone = again.clone_memory()
    assert _count(clone.url, "tags") == 0
    clone.close()


@pytest.mark.parametrize("blocked", ["lock", "full"])
def test_a_cache_that_cannot_be_used_still_gives_a_template(
    tmp_path: Path, blocked: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What a read-only or full cache does to the kit, made so that running as root (which
    # permissions do not stop) still hits it: a directory where the lock file must go, and a
    # file size limit of one byte (EFBIG, as ENOSPC would be) while the image is stored.
    directory = _migrations(tmp_path / "m")
    cache = tmp_path / "cache"
    source = resolve(directory)
    if blocked == "lock":
        (cache / "template.lock").mkdir(parents=True)
    else:
        store = Path.write_bytes

        def full_disk(path: Path, data: bytes) -> int:
            soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
            previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (1, hard))
            try:
                return store(path, data)
            finally:
                resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
                signal.signal(signal.SIGXFSZ, previous)

        monkeypatch.setattr(Path, "write_bytes", full_disk)
    template = Template.cached(source, cache)
    assert template.applied == 2 and template.cache_path is None
    assert template.cache_problem is not None and str(cache) in template.cache_problem
    assert not list(cache.glob("*.tmp"))  # nothing left half-written


# -- isolation clone ---------------------------------------------------------------------------


def test_clone_slot_keeps_its_url_and_starts_every_test_empty(template: Template) -> None:
    slot = CloneSlot(template, None)
    database = slot.start_test()
    assert database.engine is not None
    with database.engine.begin() as conn:
        conn.execute(text(INSERT_CONFIG), {"k": "a"})
    slot.end_test()
    again = slot.start_test()
    assert again.url == database.url
    assert _count(again.engine, "configurations") == 0
    slot.end_test()
    slot.close()


def test_clone_slot_sees_writes_of_other_connections_and_refills(template: Template) -> None:
    slot = CloneSlot(template, None)
    database = slot.start_test()
    raw = database.connect()
    raw.execute(
        "INSERT INTO configurations (key, value, value_type, is_secret) "
        "VALUES ('k', '1', 'integer', 0)"
    )
    raw.close()
    slot.end_test()
    assert _count(slot.start_test().url, "configurations") == 0
    slot.close()


def test_clone_slot_moves_on_when_a_test_leaks_a_connection(template: Template) -> None:
    slot = CloneSlot(template, None)
    database = slot.start_test()
    assert database.engine is not None
    leaked = database.engine.connect()
    leaked.execute(text(INSERT_CONFIG), {"k": "a"})  # an open write transaction
    with pytest.raises(ConnectionLeakError, match="left a connection of acodb_engine"):
        slot.end_test()
    fresh = slot.start_test()
    assert fresh.url != database.url
    assert _count(fresh.engine, "configurations") == 0
    leaked.close()
    slot.close()


def test_file_clone_slot_lives_in_the_given_directory(template: Template, tmp_path: Path) -> None:
    slot = CloneSlot(template, tmp_path)
    database = slot.start_test()
    assert database.path is not None and database.path.parent == tmp_path
    assert sqlite3.connect(database.path).execute("PRAGMA integrity_check").fetchone() == ("ok",)
    slot.close()


# -- isolation rollback ------------------------------------------------------------------------


@pytest.fixture(params=["memory", "file"])
def shared(
    request: pytest.FixtureRequest, template: Template, tmp_path: Path
) -> Iterator[RollbackDatabase]:
    made = RollbackDatabase(template, None if request.param == "memory" else tmp_path)
    yield made
    made.close()


def test_rollback_undoes_what_a_committing_factory_wrote(shared: RollbackDatabase) -> None:
    database = shared.start_test()
    assert database.engine is not None and joins_outer_transaction(database.engine)
    with database.engine.connect() as conn:
        outer = conn.begin()
        with Session(bind=conn, join_transaction_mode="create_savepoint") as session:
            token = bind_session(session)
            TaskFactory.create_batch(3)  # each commits
            session.commit()
            unbind_session(token)
            assert _count(conn, "tasks") == 3
        outer.rollback()
    shared.end_test()
    shared.start_test()
    assert _count(database.engine, "tasks") == 0
    shared.end_test()


def test_commits_through_the_engine_become_savepoints(shared: RollbackDatabase) -> None:
    database = shared.start_test()
    assert database.engine is not None
    with database.engine.begin() as conn:
        conn.execute(text(INSERT_CONFIG), {"k": "a"})
    with database.engine.connect() as conn:
        conn.execute(text(INSERT_CONFIG), {"k": "b"})
        conn.commit()
        conn.execute(text(INSERT_CONFIG), {"k": "c"})
        conn.rollback()
    assert _count(database.engine, "configurations") == 2
    if database.path is not None:  # a second connection sees only what is really committed
        assert _count(database.url, "configurations") == 0
    shared.end_test()
    shared.start_test()
    assert _count(database.engine, "configurations") == 0
    shared.end_test()


@pytest.mark.parametrize(
    ("statement", "said"),
    [
        ("CREATE TABLE extra (id INTEGER)", "it ran DDL (CREATE TABLE extra)"),
        ("CREATE INDEX ix ON tasks(title)", "it ran DDL (CREATE INDEX ix)"),
        ("PRAGMA recursive_triggers = ON", "it ran PRAGMA recursive_triggers = ON"),
        ("PRAGMA foreign_keys = OFF", "it ran PRAGMA foreign_keys = OFF"),
    ],
)
def test_rollback_refuses_ddl_and_pragma_changes(
    shared: RollbackDatabase, statement: str, said: str
) -> None:
    database = shared.start_test()
    assert database.engine is not None
    with database.engine.connect() as conn:
        conn.exec_driver_sql(statement)
        conn.commit()
    with pytest.raises(IsolationError) as caught:
        shared.end_test()
    assert said in str(caught.value)
    assert 'isolation="clone"' in str(caught.value)
    assert caught.value.problems == [said]
    shared.start_test()  # restored: fresh connection, template schema
    with database.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA recursive_triggers").scalar() == 0
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        names = conn.exec_driver_sql("SELECT name FROM sqlite_master").scalars().all()
        assert "extra" not in names and "ix" not in names
    shared.end_test()


def test_reading_pragmas_and_setting_foreign_keys_on_is_allowed(shared: RollbackDatabase) -> None:
    database = shared.start_test()
    assert database.engine is not None
    with database.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys = ON")
        conn.exec_driver_sql("PRAGMA table_info(tasks)").all()
        conn.exec_driver_sql("PRAGMA recursive_triggers").all()
    shared.end_test()


def test_rollback_refuses_a_write_by_another_connection(shared: RollbackDatabase) -> None:
    database = shared.start_test()
    with pytest.raises(OperationalError, match="readonly"):  # at once, not after 5 s
        database.connect().execute("DELETE FROM tasks")
    raw = database.connector.connect(database.sqlite_uri.replace("mode=ro", "mode=rw"), uri=True)
    raw.execute(
        "INSERT INTO configurations (key, value, value_type, is_secret) "
        "VALUES ('k', '1', 'integer', 0)"
    )
    raw.close()
    with pytest.raises(IsolationError, match="another connection writing"):
        shared.end_test()
    shared.start_test()
    assert _count(database.engine, "configurations") == 0
    shared.end_test()


def test_rollback_refuses_a_raw_commit(shared: RollbackDatabase) -> None:
    database = shared.start_test()
    assert database.engine is not None
    with database.engine.connect() as conn:
        conn.exec_driver_sql("COMMIT")
        conn.execute(text(INSERT_CONFIG), {"k": "a"})
        conn.commit()
    with pytest.raises(IsolationError, match="outer transaction ended"):
        shared.end_test()
    shared.start_test()
    assert _count(database.engine, "configurations") == 0
    shared.end_test()


def test_rollback_refuses_disposing_of_the_engine(shared: RollbackDatabase) -> None:
    database = shared.start_test()
    assert database.engine is not None
    database.engine.dispose()
    with database.engine.begin() as conn:
        conn.execute(text(INSERT_CONFIG), {"k": "a"})
    with pytest.raises(IsolationError, match="disposed"):
        shared.end_test()
    shared.start_test()
    assert _count(database.engine, "configurations") == 0
    shared.end_test()


def _guarded_with_table() -> GuardedConnection:
    """A guarded in-memory connection (the default driver) holding an empty table ``t (x)``."""
    conn = connect(":memory:", factory=guarded_class(default_connector().driver))
    assert isinstance(conn, GuardedConnection)
    conn.execute("CREATE TABLE t (x)")
    return conn


def test_guarded_connection_turns_transactions_into_savepoints() -> None:
    conn = _guarded_with_table()
    conn.hold()
    conn.begin()
    conn.execute("INSERT INTO t VALUES (1)")
    conn.commit()  # releases the savepoint only
    conn.begin()
    conn.execute("INSERT INTO t VALUES (2)")
    conn.rollback()
    assert conn.in_transaction
    assert conn.execute("SELECT x FROM t").fetchall() == [(1,)]
    conn.let_go()
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (0,)
    conn.begin()  # not held: a real transaction
    conn.execute("INSERT INTO t VALUES (3)")
    conn.commit()
    assert not conn.in_transaction
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (1,)
    conn.close()


def _traced(conn: Any) -> list[str]:
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    return statements


def test_a_read_only_transaction_under_hold_costs_no_savepoint() -> None:
    conn = _guarded_with_table()
    statements = _traced(conn)
    conn.hold()
    conn.begin()
    conn.execute("SELECT count(*) FROM t").fetchone()
    conn.rollback()
    conn.begin()
    conn.execute("SELECT count(*) FROM t").fetchone()
    conn.commit()
    conn.let_go()
    assert statements == [
        "BEGIN",
        "SELECT count(*) FROM t",
        "SELECT count(*) FROM t",
        "ROLLBACK",
    ]
    conn.close()


def test_the_first_transaction_under_hold_rolls_back_without_its_savepoint() -> None:
    conn = _guarded_with_table()
    conn.hold()
    conn.begin()  # nothing written yet: the outer transaction's start is the savepoint
    conn.execute("INSERT INTO t VALUES (1)")
    conn.rollback()
    assert conn.in_transaction  # the outer transaction again, empty
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (0,)
    conn.execute("INSERT INTO t VALUES (2)")  # written outside a caller's transaction
    conn.begin()  # so this one is a real savepoint
    conn.execute("INSERT INTO t VALUES (3)")
    conn.rollback()
    assert conn.execute("SELECT x FROM t").fetchall() == [(2,)]
    conn.let_go()
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (0,)
    conn.close()


def test_rows_written_before_the_first_transaction_survive_its_rollback(
    shared: RollbackDatabase,
) -> None:
    database = shared.start_test()
    assert database.engine is not None
    with shared.writer() as raw:  # as the SQL fixtures of a marker are applied
        raw.execute(INSERT_CONFIG.replace(":k", "'fixture'"))
    with Session(database.engine) as session:
        session.execute(text(INSERT_CONFIG), {"k": "a"})
        session.rollback()  # rolls back to after the fixture's row, not to the outer BEGIN
        session.execute(text(INSERT_CONFIG), {"k": "b"})
        session.commit()
        keys = session.execute(text("SELECT key FROM configurations ORDER BY key")).scalars()
        assert list(keys) == ["b", "fixture"]
    shared.end_test()
    shared.start_test()
    assert _count(database.engine, "configurations") == 0
    shared.end_test()


# -- the per-session set -----------------------------------------------------------------------


def test_databases_makes_each_kind_once_and_the_directory_lazily(
    template: Template, tmp_path: Path
) -> None:
    made: list[Path] = []

    def make_directory() -> Path:
        made.append(tmp_path / f"d{len(made)}")
        made[-1].mkdir()
        return made[-1]

    databases = Databases(template)
    clone = databases.get("clone", "memory", make_directory)
    assert databases.get("clone", "memory", make_directory) is clone
    assert made == []
    assert isinstance(databases.get("rollback", "file", make_directory), RollbackDatabase)
    assert isinstance(databases.get("clone", "file", make_directory), CloneSlot)
    assert made == [tmp_path / "d0"]
    databases.close()
