"""The database doors users expect from sqlx and pytest (issue 13, items 5 to 8), run the way
users run them (pytester): SQL fixture files, ``target=`` on every database fixture, the async
fixtures, and the fast "use clone" failure of a second engine under rollback."""

from __future__ import annotations

from pathlib import Path

import pytest

USERS = "INSERT INTO configurations (key, value, value_type, is_secret) VALUES ('a', '1', 'integer', 0);\n"
POSTS = (
    "-- a comment first\n"
    "INSERT INTO configurations (key, value, value_type, is_secret)\n"
    "VALUES ('b', (SELECT value + 1 FROM configurations WHERE key = 'a'), 'integer', 0);\n"
)


def _fixture_files(directory: Path, files: dict[str, str]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text)


@pytest.mark.parametrize("isolation", ["clone", "rollback"])
@pytest.mark.parametrize("backend", ["memory", "file"])
def test_sql_fixtures_apply_in_order_beside_the_test(
    pytester: pytest.Pytester, isolation: str, backend: str
) -> None:
    _fixture_files(pytester.path / "fixtures", {"users.sql": USERS, "posts.sql": POSTS})
    pytester.makepyfile(
        """
        import pytest
        from sqlalchemy import text

        @pytest.mark.acodb(fixtures=["users", "posts"])
        def test_loaded(acodb_session):
            rows = acodb_session.execute(text("SELECT key, value FROM configurations ORDER BY key"))
            assert rows.all() == [("a", "1"), ("b", "2")]

        def test_next_is_empty(acodb_session):
            assert acodb_session.execute(text("SELECT count(*) FROM configurations")).scalar() == 0
        """
    )
    result = pytester.runpytest(f"--acodb-isolation={isolation}", f"--acodb-backend={backend}")
    result.assert_outcomes(passed=2)


def test_sql_fixtures_from_the_ini_folder_and_explicit_paths(pytester: pytest.Pytester) -> None:
    _fixture_files(pytester.path / "sql" / "shared", {"users.sql": USERS})
    _fixture_files(pytester.path / "tests" / "data", {"posts.sql": POSTS})
    pytester.makeini("[pytest]\nacodb_fixtures = sql/shared\n")
    tests = pytester.mkdir("tests") if not (pytester.path / "tests").exists() else None
    del tests
    (pytester.path / "tests" / "test_x.py").write_text(
        "import pytest\n"
        "from sqlalchemy import text\n\n"
        '@pytest.mark.acodb(fixtures=["users", "data/posts.sql"])\n'
        "def test_loaded(acodb_connection):\n"
        '    n = acodb_connection.execute(text("SELECT count(*) FROM configurations")).scalar()\n'
        "    assert n == 2\n"
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_a_failing_sql_fixture_names_file_and_statement_and_leaves_nothing(
    pytester: pytest.Pytester,
) -> None:
    broken = USERS.replace("'a'", "'z'") + "INSERT INTO configurations (key) VALUES ('c');\n"
    _fixture_files(pytester.path / "fixtures", {"users.sql": USERS, "broken.sql": broken})
    pytester.makepyfile(
        """
        import pytest
        from sqlalchemy import text

        @pytest.mark.acodb(fixtures=["users", "broken"])
        def test_a_broken(acodb_session):
            pass

        @pytest.mark.acodb(fixtures=["missing"])
        def test_b_missing(acodb_session):
            pass

        def test_c_next_is_empty(acodb_session):
            assert acodb_session.execute(text("SELECT count(*) FROM configurations")).scalar() == 0
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=1, errors=2)
    result.stdout.fnmatch_lines(
        [
            "*SQL fixture *fixtures/broken.sql:2 in statement `INSERT INTO configurations (key) "
            "VALUES ('c');`: NOT NULL constraint failed*nothing of this test's fixtures was "
            "applied*",
            "*SQL fixture missing: no such file (looked for *fixtures/missing.sql)*",
        ]
    )


def test_a_bad_fixtures_argument_is_one_line(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.acodb(fixtures=[1])
        def test_x(acodb_db):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*acodb(fixtures=[[]1[]]): give a list of SQL fixture names*"])


# -- target= on every database fixture ---------------------------------------------------------


@pytest.mark.parametrize(
    "fixture", ["acodb_db", "acodb_engine", "acodb_session", "acodb_factories", "acodb_url"]
)
def test_target_migrates_every_database_fixture_up_to_a_version(
    pytester: pytest.Pytester, fixture: str
) -> None:
    pytester.makepyfile(
        f"""
        import pytest
        from sqlalchemy import create_engine as _unused  # noqa: F401
        from pytest_acodb.db.connect import create_engine

        def tables(target):
            if hasattr(target, "connect") and hasattr(target, "sqlite_uri"):
                conn = target.connect()
                names = {{r[0] for r in conn.execute("SELECT name FROM sqlite_master")}}
                conn.close()
                return names
            if isinstance(target, str):
                target = create_engine(target)
            if hasattr(target, "schema") and hasattr(target, "models"):  # acodb_factories
                return set(target.schema.tables)
            from sqlalchemy import text
            if hasattr(target, "execute") and not hasattr(target, "connect"):
                return set(target.execute(text("SELECT name FROM sqlite_master")).scalars())
            with target.connect() as conn:
                return set(conn.execute(text("SELECT name FROM sqlite_master")).scalars())

        @pytest.mark.acodb(target=20250115000002)
        def test_up_to_two({fixture}):
            names = tables({fixture})
            assert "workflows" in names and "workflow_tasks" not in names

        def test_all({fixture}):
            assert "workflow_tasks" in tables({fixture})

        @pytest.mark.acodb(target=20250115000002)
        def test_up_to_two_again({fixture}):
            assert "workflow_tasks" not in tables({fixture})
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=3)


def test_a_target_that_is_not_a_version_errors_in_one_line(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.acodb(target=123)
        def test_x(acodb_session):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*migration 123 is not present in the migration source*pick one of*"]
    )
    assert (
        "Traceback" not in result.stdout.str() and "TargetNotFoundError" not in result.stdout.str()
    )


# -- async -------------------------------------------------------------------------------------


@pytest.mark.parametrize("isolation", ["clone", "rollback"])
def test_async_session_reads_factory_rows_on_the_same_database(
    pytester: pytest.Pytester, isolation: str
) -> None:
    pytest.importorskip("aiosqlite")
    pytest.importorskip("greenlet")
    pytester.makepyfile(
        """
        import asyncio
        from sqlalchemy import select, text
        from pytest_acodb.acolib.factories import TaskFactory
        from pytest_acodb.acolib.models import Task

        def test_a_reads_factory_rows(acodb_session, acodb_async_session):
            TaskFactory.create_batch(3, failed=True)

            async def main():
                tasks = (await acodb_async_session.scalars(select(Task))).all()
                fk = (await acodb_async_session.execute(text("PRAGMA foreign_keys"))).scalar()
                return [t.status for t in tasks], fk

            statuses, fk = asyncio.run(main())
            assert statuses == ["failed"] * 3 and fk == 1

        def test_b_writes(acodb_async_engine):
            async def main():
                async with acodb_async_engine.begin() as conn:
                    await conn.execute(text(
                        "INSERT INTO configurations (key, value, value_type, is_secret) "
                        "VALUES ('k', '1', 'integer', 0)"))
                async with acodb_async_engine.connect() as conn:
                    return (await conn.execute(text("SELECT count(*) FROM configurations"))).scalar()

            assert asyncio.run(main()) == 1

        def test_c_sees_nothing(acodb_session):
            assert acodb_session.execute(text("SELECT count(*) FROM tasks")).scalar() == 0
            assert acodb_session.execute(text("SELECT count(*) FROM configurations")).scalar() == 0
        """
    )
    result = pytester.runpytest("-p", "no:randomly", f"--acodb-isolation={isolation}")
    result.assert_outcomes(passed=3)


# -- rollback: a second engine on acodb_url fails at once --------------------------------------


@pytest.mark.parametrize("backend", ["memory", "file"])
def test_rollback_second_engine_write_fails_at_once_saying_use_clone(
    pytester: pytest.Pytester, backend: str
) -> None:
    pytester.makepyfile(
        """
        from sqlalchemy import text
        from pytest_acodb.acolib.factories import TaskFactory
        from pytest_acodb.db.connect import create_engine

        def test_second_engine(acodb_session, acodb_url):
            TaskFactory()
            engine = create_engine(acodb_url)
            with engine.begin() as conn:
                conn.execute(text("DELETE FROM configurations"))
        """
    )
    result = pytester.runpytest("--acodb-isolation=rollback", f"--acodb-backend={backend}")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*ReadOnlyDatabaseError: under isolation=rollback *acodb_url is read-only for other engines*clone*"
        ]
    )


@pytest.mark.parametrize("backend", ["memory", "file"])
@pytest.mark.parametrize("driver", ["sqlean", "sqlite3"])
def test_a_plain_sqlalchemy_engine_on_acodb_url_sees_the_tests_rows(
    pytester: pytest.Pytester, backend: str, driver: str
) -> None:
    """acodb_url's scheme names the kit's SQLite library (sqlite+sqlean with the default driver),
    so an engine the code under test makes with plain sqlalchemy.create_engine shares the test's
    in-memory database and file locks (foreign keys on through the sqlean dialect)."""
    foreign_keys = 1 if driver == "sqlean" else 0  # SQLAlchemy's own pysqlite leaves them off
    pytester.makepyfile(
        f"""
        import sqlalchemy
        from sqlalchemy import text

        def test_it(acodb_url, acodb_session, acodb_factories):
            acodb_factories.TaskFactory.create_batch(2)
            acodb_session.commit()
            engine = sqlalchemy.create_engine(acodb_url)
            with engine.connect() as conn:
                assert conn.execute(text("SELECT count(*) FROM tasks")).scalar() == 2
                assert conn.execute(text("PRAGMA foreign_keys")).scalar() == {foreign_keys}
            engine.dispose()
        """
    )
    result = pytester.runpytest(f"--acodb-backend={backend}", f"--acodb-sqlite-driver={driver}")
    result.assert_outcomes(passed=1)


def test_a_subprocess_opens_acodb_url_through_the_entry_point(
    pytester: pytest.Pytester,
) -> None:
    """A process that never imported the kit opens a sqlite+sqlean:// URL: SQLAlchemy finds the
    dialect through the package's sqlalchemy.dialects entry point."""
    pytester.makepyfile(
        """
        import subprocess, sys

        def test_it(acodb_db, acodb_url):
            code = (
                "import sys, sqlalchemy; from sqlalchemy import text; "
                "e = sqlalchemy.create_engine(sys.argv[1]); c = e.connect(); "
                "print(c.execute(text('SELECT count(*) FROM sqlite_master')).scalar())"
            )
            out = subprocess.run(
                [sys.executable, "-c", code, acodb_url], capture_output=True, text=True
            )
            assert out.returncode == 0, out.stderr
            assert int(out.stdout) > 0
        """
    )
    result = pytester.runpytest("--acodb-backend=file")
    result.assert_outcomes(passed=1)
