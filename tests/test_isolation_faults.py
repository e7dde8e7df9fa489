"""Faults of the per-test databases found by a hostile run (issue 15), each re-run over its whole
class: every way a test can escape the rollback transaction, leak a connection or a reader,
break the next test, or leave connection state behind.

Suites that used to hang run in a subprocess with a timeout, so a hang fails one test here
rather than the whole run.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

HANG_S = 60
"""Seconds an inner run may take before it counts as a hang (it takes about 3 s)."""


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "no:randomly", *args, timeout=HANG_S)


# -- item 5: every way a rollback test can end the outer transaction ---------------------------

ESCAPES = {
    "COMMIT then BEGIN": 'c.exec_driver_sql("COMMIT"); c.exec_driver_sql("BEGIN")',
    "END then BEGIN": 'c.exec_driver_sql("END"); c.exec_driver_sql("BEGIN")',
    "DB-API COMMIT then BEGIN": "raw.execute('COMMIT'); raw.execute('BEGIN')",
    "executescript": "raw.executescript('COMMIT; BEGIN;')",
    "ON CONFLICT ROLLBACK, a write, BEGIN": (
        "conflict(raw); raw.execute(INSERT2); raw.execute('BEGIN')"
    ),
}
"""Statements that end the outer transaction and start another, so the test still looks as if
it were inside one (``c``: the SQLAlchemy connection, ``raw``: its DB-API connection)."""


@pytest.mark.parametrize("escape", list(ESCAPES))
@pytest.mark.parametrize("backend", ["memory", "file"])
def test_rollback_catches_every_escape_from_the_outer_transaction(
    pytester: pytest.Pytester, escape: str, backend: str
) -> None:
    pytester.makepyfile(
        f"""
        from sqlalchemy import text

        ROW = (
            "INSERT INTO configurations (key, value, value_type, is_secret) "
            "VALUES ('{{}}', '1', 'integer', 0)"
        )
        INSERT, INSERT2 = ROW.format("k"), ROW.format("k2")

        def conflict(raw):
            try:
                raw.execute(INSERT.replace("INSERT", "INSERT OR ROLLBACK"))
            except Exception:
                pass

        def test_a_escapes(acodb_connection):
            c = acodb_connection
            raw = c.connection.driver_connection
            c.execute(text(INSERT))
            {ESCAPES[escape]}

        def test_b_sees_nothing(acodb_connection):
            n = acodb_connection.execute(text("SELECT count(*) FROM configurations")).scalar()
            assert n == 0
        """
    )
    result = _run(pytester, "-v", "--acodb-isolation=rollback", f"--acodb-backend={backend}")
    result.stdout.fnmatch_lines(["*test_b_sees_nothing PASSED*"])
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_a_escapes*"])
    result.stdout.fnmatch_lines(["*isolation=rollback refuses this test*"])


# -- items 8 and 24: every way to leak a connection or a reader ---------------------------------

LEAKS = {
    "unfinished SELECT on acodb_db.connect()": (
        "raw = acodb_db.connect(); cur = raw.execute('SELECT name FROM sqlite_master'); cur.fetchone()"
    ),
    "uncommitted write on acodb_db.connect()": (
        "raw = acodb_db.connect(); raw.execute('BEGIN'); "
        "raw.execute(\"UPDATE tasks SET title = 'x'\")"
    ),
    "BEGIN IMMEDIATE on acodb_db.connect()": (
        "raw = acodb_db.connect(); raw.execute('BEGIN IMMEDIATE')"
    ),
    "a second engine's open transaction": (
        "raw = create_engine(acodb_url).connect(); raw.execute(text('DELETE FROM tasks'))"
    ),
    "acodb_engine connection left in a transaction": (
        "raw = acodb_engine.connect(); raw.execute(text('DELETE FROM tasks'))"
    ),
}


@pytest.mark.parametrize("leak", list(LEAKS))
@pytest.mark.parametrize("commits", [True, False], ids=["commits", "no-commit"])
@pytest.mark.parametrize("backend", ["memory", "file"])
def test_a_leaked_connection_is_named_and_never_blocks_the_next_test(
    pytester: pytest.Pytester, leak: str, commits: bool, backend: str
) -> None:
    commit = "TaskFactory()" if commits else "pass"
    pytester.makepyfile(
        f"""
        from sqlalchemy import text
        from pytest_acodb.acolib.factories import TaskFactory
        from pytest_acodb.db.connect import create_engine

        LEAKED = []

        def test_a_leaks(acodb_db, acodb_url, acodb_engine, acodb_session):
            {commit}
            {LEAKS[leak]}
            LEAKED.append(locals())  # the connection, and the cursor of an unfinished SELECT

        def test_b_works(acodb_session):
            TaskFactory()
            assert acodb_session.execute(text("SELECT count(*) FROM tasks")).scalar() == 1
        """
    )
    result = _run(pytester, f"--acodb-backend={backend}")
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed") == 2, result.stdout.str()
    assert "database is locked" not in result.stdout.str()
    if outcomes.get("error"):  # a leak that holds a lock is named at the leaking test
        result.stdout.fnmatch_lines(
            ["*ERROR at teardown of test_a_leaks*", "*the test left * open on its database*"]
        )


# -- item 9: --acodb-keep-failed while the failed test holds an uncommitted write --------------


@pytest.mark.parametrize(
    "write",
    [
        "acodb_session.add(TaskFactory.build(title='kept')); acodb_session.flush()",
        "acodb_connection.execute(text(INSERT))",
    ],
    ids=["session flush", "connection execute"],
)
@pytest.mark.parametrize("backend", ["memory", "file"])
def test_keep_failed_never_hangs_on_an_uncommitted_write(
    pytester: pytest.Pytester, write: str, backend: str
) -> None:
    pytester.makepyfile(
        f"""
        from sqlalchemy import text
        from pytest_acodb.acolib.factories import TaskFactory

        INSERT = (
            "INSERT INTO configurations (key, value, value_type, is_secret) "
            "VALUES ('kept', '1', 'integer', 0)"
        )

        def test_fails(acodb_session, acodb_connection):
            {write}
            assert False

        def test_next(acodb_session):
            assert acodb_session.execute(text("SELECT count(*) FROM tasks")).scalar() == 0
        """
    )
    result = _run(pytester, "--acodb-keep-failed", f"--acodb-backend={backend}")
    result.assert_outcomes(passed=1, failed=1)
    kept = next(
        line.split("database kept at ", 1)[1].split(" (readable", 1)[0]
        for line in result.stdout.lines
        if "database kept at " in line
    )
    conn = sqlite3.connect(kept)
    # The kept database is what the test saw, its uncommitted write included.
    found = conn.execute(
        "SELECT (SELECT count(*) FROM tasks WHERE title = 'kept') + "
        "(SELECT count(*) FROM configurations WHERE key = 'kept')"
    ).fetchone()[0]
    conn.close()
    assert found == 1


def test_keep_failed_says_why_when_a_foreign_connection_holds_the_lock(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        LEAKED = []

        def test_fails(acodb_db):
            raw = acodb_db.connect()
            raw.execute("BEGIN")
            raw.execute("UPDATE tasks SET title = 'x'")
            LEAKED.append(raw)
            assert False
        """
    )
    result = _run(pytester, "--acodb-keep-failed")
    result.assert_outcomes(failed=1, errors=1)
    result.stdout.fnmatch_lines(["*database not kept: another connection holds a lock on it*"])


# -- item 17: one test must never break the next ------------------------------------------------

BREAKS = {
    "acodb_db.close()": "acodb_db.close()",
    "acodb_engine.dispose()": "acodb_engine.dispose()",
    "close the pooled DB-API connection": ("acodb_connection.connection.driver_connection.close()"),
    "session.bind.dispose()": "acodb_session.bind.dispose()",
    "dispose, then use the engine": (
        "acodb_engine.dispose(); acodb_engine.connect().execute(text('SELECT 1')).close()"
    ),
}


@pytest.mark.parametrize("breaks", list(BREAKS))
@pytest.mark.parametrize("isolation", ["clone", "rollback"])
def test_one_test_never_breaks_the_next(
    pytester: pytest.Pytester, breaks: str, isolation: str
) -> None:
    pytester.makepyfile(
        f"""
        from sqlalchemy import text
        from pytest_acodb.acolib.factories import TaskFactory

        def test_a_breaks(acodb_db, acodb_engine, acodb_connection, acodb_session):
            TaskFactory()
            {BREAKS[breaks]}

        def test_b_works(acodb_session):
            assert acodb_session.execute(text("SELECT count(*) FROM tasks")).scalar() == 0
            TaskFactory()

        def test_c_works(acodb_connection):
            assert acodb_connection.execute(text("SELECT count(*) FROM tasks")).scalar() == 0
        """
    )
    result = _run(pytester, "-v", f"--acodb-isolation={isolation}")
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) >= 2 and outcomes.get("failed", 0) == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["*test_b_works PASSED*", "*test_c_works PASSED*"])


# -- item 25: connection and database state a test leaves behind (clone keeps connections) ------

STATE = {
    "journal_mode=WAL": ("PRAGMA journal_mode = WAL", "PRAGMA journal_mode", "delete"),
    "locking_mode=EXCLUSIVE": (
        "PRAGMA locking_mode = EXCLUSIVE",
        "PRAGMA locking_mode",
        "normal",
    ),
    "page_size and VACUUM": ("PRAGMA page_size = 8192; VACUUM", "PRAGMA page_size", 4096),
    "recursive_triggers": ("PRAGMA recursive_triggers = ON", "PRAGMA recursive_triggers", 0),
    "foreign_keys off": ("PRAGMA foreign_keys = OFF", "PRAGMA foreign_keys", 1),
    "query_only": ("PRAGMA query_only = ON", "PRAGMA query_only", 0),
    "TEMP table": (
        "CREATE TEMP TABLE scratch (x)",
        "SELECT count(*) FROM temp.sqlite_master",
        0,
    ),
    "ATTACH": (
        "ATTACH ':memory:' AS other",
        "SELECT count(*) FROM pragma_database_list WHERE name = 'other'",
        0,
    ),
    "create_function": (
        "raw.create_function('lower', 1, lambda s: 'LEAK')",
        "SELECT lower('X')",
        "x",
    ),
    "row_factory": ("raw.row_factory = lambda c, r: 'LEAK'", "SELECT 'x'", "x"),
}


@pytest.mark.parametrize("change", list(STATE))
@pytest.mark.parametrize("backend", ["memory", "file"])
def test_connection_state_never_carries_into_the_next_test(
    pytester: pytest.Pytester, change: str, backend: str
) -> None:
    statement, probe, expected = STATE[change]
    if backend == "memory" and change in ("journal_mode=WAL", "page_size and VACUUM"):
        pytest.skip("an in-memory database has no WAL, and VACUUM keeps its page size")
    if statement.startswith("raw."):
        action = statement
    else:
        action = "; ".join(f"raw.execute({s.strip()!r})" for s in statement.split(";"))
    pytester.makepyfile(
        f"""
        from sqlalchemy import text

        def test_a_changes(acodb_connection):
            acodb_connection.commit()
            raw = acodb_connection.connection.driver_connection
            {action}

        def test_b_has_defaults(acodb_connection):
            raw = acodb_connection.connection.driver_connection
            assert raw.execute({probe!r}).fetchone()[0] == {expected!r}
            acodb_connection.execute(text("INSERT INTO configurations (key, value, value_type, "
                                          "is_secret) VALUES ('k', '1', 'integer', 0)"))
            acodb_connection.commit()
        """
    )
    result = _run(pytester, f"--acodb-backend={backend}")
    result.assert_outcomes(passed=2)


def test_kept_database_names_never_collide(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("name", ["a/b", "a_b", "a b"])
        def test_x(acodb_db, name):
            acodb_db.connect().execute(
                "INSERT INTO configurations (key, value, value_type, is_secret) "
                "VALUES (?, '1', 'integer', 0)", (name,)
            )
            assert False
        """
    )
    result = _run(pytester, "--acodb-keep-failed")
    result.assert_outcomes(failed=3)
    kept = {
        line.split("database kept at ", 1)[1].split(" (readable", 1)[0]
        for line in result.stdout.lines
        if "database kept at " in line
    }
    assert len(kept) == 3, kept
    keys = set()
    for path in kept:
        conn = sqlite3.connect(path)
        keys |= {k for (k,) in conn.execute("SELECT key FROM configurations")}
        conn.close()
    assert keys == {"a/b", "a_b", "a b"}


def test_xdist_workers_flag_migrations_that_changed_during_the_run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_ADDOPTS", "-p no:hypothesispytest -p no:randomly")
    migrations = pytester.mkdir("db")
    (migrations / "1_items.sql").write_text("CREATE TABLE items (id INTEGER PRIMARY KEY);\n")
    pytester.makeini("[pytest]\nacodb_migrations = db\n")
    # A worker edits the migration after the run started (as a checkout or an editor would).
    pytester.makeconftest(
        """
        import os
        from pathlib import Path

        def pytest_configure(config):
            if os.environ.get("PYTEST_XDIST_WORKER") == "gw1":
                path = Path(str(config.rootpath)) / "db" / "1_items.sql"
                path.write_text("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT);\\n")
        """
    )
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("n", range(8))
        def test_x(n, acodb_db):
            pass
        """
    )
    result = pytester.runpytest_subprocess("-n", "2", timeout=HANG_S)
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*migrations in * changed after the run started*"])


def test_a_migration_that_attaches_a_file_never_writes_to_it(pytester: pytest.Pytester) -> None:
    migrations = pytester.mkdir("db")
    (migrations / "1_items.sql").write_text(
        "CREATE TABLE items (id INTEGER PRIMARY KEY);\n"
        "ATTACH DATABASE 'real.db' AS archive;\n"
        "CREATE TABLE archive.old_items (id INTEGER);\n"
    )
    pytester.makeini("[pytest]\nacodb_migrations = db\n")
    pytester.makepyfile("def test_x(acodb_db):\n    pass\n")
    result = _run(pytester)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*ATTACHes the file 'real.db'*"])
    assert not Path(pytester.path / "real.db").exists()
