"""The plugin as users run it: options, ini keys, fixtures and the marker, through pytester."""

from __future__ import annotations

import pytest


def test_fixtures_give_a_fresh_migrated_database_per_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from sqlalchemy import text

        def test_first(acodb_connection):
            acodb_connection.execute(text(
                "INSERT INTO configurations (key, value, value_type, is_secret) "
                "VALUES ('k', '1', 'integer', 0)"))
            acodb_connection.commit()
            n = acodb_connection.execute(text("SELECT count(*) FROM configurations")).scalar()
            assert n == 1

        def test_second_sees_no_rows_of_the_first(acodb_connection):
            n = acodb_connection.execute(text("SELECT count(*) FROM configurations")).scalar()
            assert n == 0

        def test_migrated_and_sqlx_bookkeeping(acodb_connection):
            rows = acodb_connection.execute(
                text("SELECT version, success FROM _sqlx_migrations")).all()
            assert [r[0] for r in rows] == [20250115000001 + i for i in range(7)]
            assert all(r[1] == 1 for r in rows)
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=3)


@pytest.mark.parametrize("isolation", ["clone", "rollback"])
def test_session_and_lower_fixtures_share_one_database_and_one_seeding(
    pytester: pytest.Pytester, isolation: str
) -> None:
    # acodb_session starts the test's database itself; whichever of it and acodb_db /
    # acodb_engine / acodb_seed is set up first starts (and seeds), the others reuse, in any order.
    pytester.makeconftest(
        """
        import pytest
        from pytest_acodb.acolib.factories import TaskFactory

        @pytest.fixture
        def made_task(acodb_session):
            return TaskFactory()
        """
    )
    pytester.makepyfile(
        """
        from sqlalchemy import text
        from pytest_acodb.acolib.factories import TaskFactory

        def test_session_first(acodb_session, acodb_engine, acodb_db, acodb_connection):
            assert acodb_session.get_bind() is acodb_engine is acodb_db.engine
            TaskFactory()
            n = acodb_connection.execute(text("SELECT count(*) FROM tasks")).scalar()
            assert n == 1

        def test_db_first(acodb_db, acodb_connection, acodb_session):
            TaskFactory()
            assert acodb_connection.execute(text("SELECT count(*) FROM tasks")).scalar() == 1

        def test_seeded_once(made_task, acodb_seed, acodb_session):
            # a second reseed after made_task would repeat its id
            assert TaskFactory().id != made_task.id

        def test_next_test_starts_empty(acodb_session):
            assert acodb_session.execute(text("SELECT count(*) FROM tasks")).scalar() == 0
        """
    )
    result = pytester.runpytest("-p", "no:randomly", f"--acodb-isolation={isolation}")
    result.assert_outcomes(passed=4)


def test_fixtures_requested_in_the_body_a_nested_run_a_thread_or_a_context_know_their_test(
    pytester: pytest.Pytester,
) -> None:
    # The database fixtures read their test from the running item: requested while the test
    # runs, after a pytest run inside the test (pytester, in process) ended, from another thread
    # or from a context copied before the test, they belong to the running test (its node id,
    # its run's seed, its marker).
    pytester.makepyfile(
        test_outer="""
        import contextvars
        import threading

        import pytest
        from pytest_acodb.plugin.seeds import RUN_SEED_KEY, test_seed

        pytest_plugins = ["pytester"]

        def expected(request):
            return test_seed(request.config.stash[RUN_SEED_KEY], request.node.nodeid)

        def test_in_the_body(request):
            assert request.getfixturevalue("acodb_seed") == expected(request)

        def test_after_a_nested_run(pytester, request):
            pytester.makepyfile(test_inner="def test_inner(acodb_seed): pass")
            pytester.runpytest("-p", "no:randomly", "-p", "no:cacheprovider").assert_outcomes(
                passed=1
            )
            assert request.getfixturevalue("acodb_seed") == expected(request)

        def test_from_another_thread(request):
            got = []
            thread = threading.Thread(target=lambda: got.append(request.getfixturevalue("acodb_seed")))
            thread.start()
            thread.join()
            assert got == [expected(request)]

        # As anyio's runner task for a module's async fixtures: a context made before the test.
        EARLIER = contextvars.copy_context()

        @pytest.mark.acodb(backend="file")
        def test_from_a_context_made_earlier(request):
            seed = EARLIER.run(request.getfixturevalue, "acodb_seed")
            assert seed == expected(request)
            assert request.getfixturevalue("acodb_db").path is not None  # its own marker
        """
    )
    result = pytester.runpytest("-p", "no:randomly", "test_outer.py")
    result.assert_outcomes(passed=4)


def test_an_in_process_run_inside_a_test_leaves_the_outer_tests_data_state(
    pytester: pytest.Pytester,
) -> None:
    # A pytester run in process inside a test seeds and frees the data for its own tests; when
    # it ends, the outer test's pinned clock and generators are as they were, so its rows after
    # the inner run replay with the run seed too.
    pytester.makepyfile(
        test_outer="""
        from pytest_acodb.acolib.factories import REFERENCE_TIME, TaskFactory
        from pytest_acodb.plugin.seeds import generator_state
        from pytest_acodb.synth.factories.base import now

        pytest_plugins = ["pytester"]

        def test_outer(acodb_session, pytester):
            TaskFactory()
            before = generator_state()
            pytester.makepyfile(test_inner=(
                "from pytest_acodb.acolib.factories import TaskFactory\\n"
                "def test_inner(acodb_session):\\n"
                "    TaskFactory.create_batch(3)\\n"
            ))
            pytester.runpytest_inprocess("-p", "no:randomly").assert_outcomes(passed=1)
            assert generator_state() == before
            assert now() == REFERENCE_TIME
        """
    )
    pytester.runpytest("-p", "no:randomly", "test_outer.py").assert_outcomes(passed=1)


def test_the_seeds_computed_for_the_whole_session_are_each_tests_own(
    pytester: pytest.Pytester,
) -> None:
    # seed_of computes every collected item's seed on first use; each is test_seed of the run
    # seed and the node id, whatever test asks first, and an item the session did not collect
    # (not in the table) gets the same value computed on its own.
    pytester.makepyfile(
        """
        import pytest
        from pytest_acodb.plugin.seeds import SEEDS_KEY, seed_of, test_seed

        @pytest.mark.parametrize("name", ["a", "é ü", "x::y[z]"])
        def test_each(acodb_seed, request, name):
            assert acodb_seed == test_seed(1234, request.node.nodeid)

        def test_table(acodb_seed, request):
            seeds = request.session.stash[SEEDS_KEY]
            assert sorted(seeds) == sorted(item.nodeid for item in request.session.items)
            assert all(seed == test_seed(1234, nodeid) for nodeid, seed in seeds.items())
            del seeds[request.node.nodeid]
            assert seed_of(request.node) == acodb_seed
        """
    )
    result = pytester.runpytest("-p", "no:randomly", "--acodb-seed=1234")
    result.assert_outcomes(passed=4)


DOCTEST_MODULE = '''
def count():
    """
    >>> from sqlalchemy import text
    >>> from pytest_acodb.acolib.factories import TaskFactory
    >>> session = getfixture("acodb_session")
    >>> _ = TaskFactory()
    >>> session.execute(text("SELECT count(*) FROM tasks")).scalar()
    1
    """
'''


def test_a_doctest_gets_the_database_fixtures_through_getfixture(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(tasks=DOCTEST_MODULE)
    pytester.makepyfile(
        test_after="""
        from sqlalchemy import text

        def test_the_doctests_row_is_gone(acodb_session):
            assert acodb_session.execute(text("SELECT count(*) FROM tasks")).scalar() == 0
        """
    )
    result = pytester.runpytest(
        "-p", "no:randomly", "--doctest-modules", "tasks.py", "test_after.py"
    )
    result.assert_outcomes(passed=2)


@pytest.mark.parametrize("backend", ["memory", "file"])
def test_every_connection_has_foreign_keys_on(pytester: pytest.Pytester, backend: str) -> None:
    pytester.makepyfile(
        """
        import sqlite3
        import pytest
        from sqlalchemy import text
        from sqlalchemy.exc import IntegrityError
        from pytest_acodb.db.connect import create_engine

        def test_fk(acodb_engine, acodb_url, acodb_db):
            with acodb_engine.connect() as conn:
                assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
                with pytest.raises(IntegrityError):
                    conn.execute(text(
                        "INSERT INTO workflow_tasks (workflow_id, task_id) VALUES ('a', 'b')"))
            other = create_engine(acodb_url)
            with other.connect() as conn:
                assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            other.dispose()
            raw = acodb_db.connect()
            assert raw.execute("PRAGMA foreign_keys").fetchone()[0] == 1
            raw.close()
        """
    )
    result = pytester.runpytest(f"--acodb-backend={backend}")
    result.assert_outcomes(passed=1)


def test_url_reaches_the_same_database_in_memory(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from sqlalchemy import text
        from pytest_acodb.db.connect import create_engine
        from pytest_acodb.acolib.factories import TaskFactory

        def test_shared(acodb_session, acodb_url):
            task = TaskFactory()
            other = create_engine(acodb_url)
            with other.connect() as conn:
                ids = conn.execute(text("SELECT id FROM tasks")).scalars().all()
            other.dispose()
            assert ids == [task.id]
            assert "memdb" in acodb_url
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_marker_selects_file_backend_under_tmp(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.acodb(backend="file")
        def test_file(acodb_db, tmp_path_factory):
            assert acodb_db.path is not None and acodb_db.path.is_file()
            assert str(tmp_path_factory.getbasetemp()) in str(acodb_db.path)

        def test_memory(acodb_db):
            assert acodb_db.path is None
        """
    )
    pytester.runpytest().assert_outcomes(passed=2)


def test_bad_marker_argument_is_a_clear_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.acodb(backend="postgres")
        def test_x(acodb_engine):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*backend='postgres'*use one of 'memory', 'file'*"])


def test_bad_backend_option_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--acodb-backend=postgres")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*--acodb-backend: 'postgres' is not allowed; use one of: memory, file*"]
    )


def test_bad_backend_ini_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nacodb_backend = disk\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*ini key acodb_backend: 'disk' is not allowed*"])


def test_missing_migrations_dir_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--acodb-migrations=nowhere")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*nowhere does not exist*"])


def test_own_migrations_from_ini_and_report_header(pytester: pytest.Pytester) -> None:
    migrations = pytester.mkdir("db")
    (migrations / "1_items.up.sql").write_text("CREATE TABLE items (id INTEGER PRIMARY KEY);")
    (migrations / "1_items.down.sql").write_text("DROP TABLE items;")
    pytester.makeini("[pytest]\nacodb_migrations = db\nacodb_backend = file\n")
    pytester.makepyfile(
        """
        from sqlalchemy import inspect

        def test_tables(acodb_engine):
            assert set(inspect(acodb_engine).get_table_names()) == {"items", "_sqlx_migrations"}
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["acodb: migrations */db (1 migrations), SQLite *, backend file, isolation clone, seed *"]
    )


def test_conftest_can_override_migrations_dir(pytester: pytest.Pytester) -> None:
    migrations = pytester.mkdir("mig")
    (migrations / "1_things.sql").write_text("CREATE TABLE things (id INTEGER PRIMARY KEY);")
    pytester.makeconftest(
        """
        import pytest
        from pathlib import Path

        @pytest.fixture(scope="session")
        def acodb_migrations_dir():
            return Path(__file__).parent / "mig"
        """
    )
    pytester.makepyfile(
        """
        from sqlalchemy import text

        def test_things(acodb_connection):
            assert acodb_connection.execute(text("SELECT count(*) FROM things")).scalar() == 0
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)
    # The check items are named at collection, before fixtures run, from the option or ini
    # key (here: none, so the bundled migrations); they run the checks of the fixture's
    # directory: the source item fails saying so and naming the checks that have no item,
    # the items that are not checks of that directory skip.
    result = pytester.runpytest("--acodb-check-migrations", "-rfs")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    outcomes = result.parseoutcomes()
    assert outcomes["failed"] == 1 and outcomes["skipped"] > 10 and outcomes["passed"] == 1
    result.stdout.fnmatch_lines(
        [
            "source[[]migrations[]]: the check items were named at collection from *the "
            "acodb_migrations_dir fixture gives *mig*set acodb_migrations to that directory*"
            "upgrade[[]1[]]*",
            "SKIPPED *upgrade[[]20250115000001[]] is not a check of *mig*",
        ]
    )
    # With the ini key or option set as well, the items are the checks of the user's directory.
    result = pytester.runpytest("--acodb-check-migrations", "--acodb-migrations=mig", "-v")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["*acodb::upgrade[[]1[]] PASSED*"])


def test_broken_migration_errors_tests_naming_file_and_statement(
    pytester: pytest.Pytester,
) -> None:
    migrations = pytester.mkdir("bad")
    (migrations / "1_ok.sql").write_text("CREATE TABLE a (id INTEGER);\n")
    (migrations / "2_bad.sql").write_text("CREATE TABLE b (id INTEGER);\nSELEC 1;\n")
    pytester.makepyfile("def test_x(acodb_engine):\n    pass\n")
    result = pytester.runpytest("--acodb-migrations=bad")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*2_bad.sql:2: failed to apply migration 2 in statement `SELEC 1;`*"]
    )


def test_fixtures_are_documented(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--fixtures")
    for name in (
        "acodb_migrations_dir",
        "acodb_engine",
        "acodb_connection",
        "acodb_session",
        "acodb_url",
        "acodb_db",
        "acodb_template",
    ):
        result.stdout.fnmatch_lines([f"{name}*"])
    result.stdout.fnmatch_lines(["*SQLAlchemy ORM ``Session``*"])


def test_help_lists_options_and_ini_keys(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(
        [
            "*--acodb-migrations=PATH*",
            "*--acodb-backend=*",
            "*--acodb-check-migrations*",
            "*acodb_backend (string)*",
        ]
    )
