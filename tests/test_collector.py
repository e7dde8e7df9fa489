"""The built-in checks are real pytest items, and the fixtures layer: what a user sees.

Each test runs pytest the way users run it (``pytester``) in a fresh directory.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pytest_acodb.checks import walk as walk_module

BROKEN_DOWN = {
    "1_users.up.sql": "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n",
    "1_users.down.sql": "DROP TABLE users;\n",
    "2_user_email.up.sql": "CREATE INDEX users_name ON users(name);\n",
    "2_user_email.down.sql": "SELECT 1;\n",  # leaves the index behind: round_trip[2] fails
}


def _write(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text)
    return directory


def _count(line: str) -> int:
    found = re.search(r"(\d+) (?:tests? collected|items?)", line)
    assert found, line
    return int(found.group(1))


def _counting(monkeypatch: pytest.MonkeyPatch, cls: type) -> list[object]:
    """The instances of ``cls`` built in this process from now on (pytester runs in process)."""
    built: list[object] = []
    init = cls.__init__

    def counting(self: object, *args: object, **kwargs: object) -> None:
        built.append(self)
        init(self, *args, **kwargs)

    monkeypatch.setattr(cls, "__init__", counting)
    return built


@pytest.fixture
def walks(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The walks built in this process from now on."""
    return _counting(monkeypatch, walk_module.Walk)


@pytest.fixture
def outlines(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The outlines that applied the migrations themselves in this process from now on."""
    return _counting(monkeypatch, walk_module.Outline)


def test_co_in_an_empty_directory_lists_and_counts_every_check(
    pytester: pytest.Pytester, walks: list[object]
) -> None:
    result = pytester.runpytest_inprocess("--acodb-check-migrations", "--co", "-q")
    listed = [line for line in result.stdout.lines if line.startswith("acodb::")]
    assert len(listed) > 40
    assert "acodb::round_trip[20250115000003]" in listed
    assert _count(result.stdout.lines[-1]) == len(listed)
    assert "no tests collected" not in result.stdout.str()
    assert walks == []  # naming the checks builds no walk


def test_nothing_selected_builds_no_walk(pytester: pytest.Pytester, walks: list[object]) -> None:
    result = pytester.runpytest_inprocess("--acodb-check-migrations", "-k", "nothing_matches")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    assert walks == []
    result = pytester.runpytest_inprocess("--acodb-check-migrations", "-k", "upgrade")
    assert result.ret == pytest.ExitCode.OK
    assert len(walks) == 1  # one walk for every check of the process


def test_a_run_of_every_check_applies_the_migrations_once_for_planning_and_the_walk(
    pytester: pytest.Pytester, walks: list[object], outlines: list[object]
) -> None:
    result = pytester.runpytest_inprocess("--acodb-check-migrations")
    assert result.ret == pytest.ExitCode.OK
    assert (len(walks), len(outlines)) == (1, 0)  # the plan read its outline from the walk
    result = pytester.runpytest_inprocess("--acodb-check-migrations", "-k", "upgrade")
    assert result.ret == pytest.ExitCode.OK
    assert (len(walks), len(outlines)) == (2, 1)  # selecting: outline first, walk when needed
    result = pytester.runpytest_inprocess("--acodb-check-migrations", "--acodb-check-kinds=lint")
    assert result.ret == pytest.ExitCode.OK
    assert (len(walks), len(outlines)) == (2, 2)  # no chosen kind runs on a walk


def test_collected_counts_user_tests_and_checks(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_one():\n    pass\n\ndef test_two():\n    pass\n")
    alone = pytester.runpytest("--acodb-check-migrations", "--co", "-q")
    checks = _count(alone.stdout.lines[-1]) - 2
    result = pytester.runpytest("--acodb-check-migrations")
    result.stdout.fnmatch_lines([f"collected {checks + 2} items"])
    assert result.parseoutcomes()["passed"] == checks + 2


def test_only_checks_say_collected_n_items(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--acodb-check-migrations", "-m", "acodb_check")
    outcomes = result.parseoutcomes()
    result.stdout.fnmatch_lines([f"collected {outcomes['passed']} items"])


def test_last_failed_reruns_only_the_failed_check(pytester: pytest.Pytester) -> None:
    _write(pytester.path / "migrations", BROKEN_DOWN)
    pytester.makepyfile("def test_user():\n    assert False\n")
    args = ("--acodb-check-migrations", "--acodb-migrations=migrations")
    first = pytester.runpytest(*args)
    assert first.parseoutcomes()["failed"] >= 2  # the user's test and round_trip[2]
    failed = [line for line in first.stdout.lines if line.startswith("FAILED")]
    assert any("acodb::round_trip[2]" in line for line in failed)
    rerun = pytester.runpytest(*args, "--lf", "-v")
    ran = [line.split()[0] for line in rerun.stdout.lines if " FAILED" in line or " PASSED" in line]
    assert set(ran) == {line.split()[1] for line in failed}, rerun.stdout.str()
    assert "acodb::round_trip[1]" not in rerun.stdout.str()


def test_a_node_id_runs_one_check(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest(
        "--acodb-check-migrations", "-v", "acodb::round_trip[20250115000003]"
    )
    assert result.ret == pytest.ExitCode.OK
    assert result.parseoutcomes() == {"passed": 1}
    result.stdout.fnmatch_lines(["acodb::round_trip[[]20250115000003[]] PASSED*"])
    # A node id implies the checks; a kind selects all of its subjects.
    result = pytester.runpytest("acodb::cascade")
    assert result.parseoutcomes()["passed"] == 3


def test_user_test_runs_a_check_through_the_fixture(pytester: pytest.Pytester) -> None:
    _write(pytester.path / "migrations", BROKEN_DOWN)
    pytester.makeini("[pytest]\nacodb_migrations = migrations\n")
    pytester.makepyfile(
        """
        def test_first_round_trip(acodb_checks):
            acodb_checks.run("round_trip", 1)

        def test_second_round_trip(acodb_checks):
            acodb_checks.run("round_trip[2]")
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    items = pytester.runpytest("--acodb-check-migrations", "acodb::round_trip[2]")
    text = next(
        line.strip() for line in items.stdout.lines if "index users_name is still there" in line
    )
    # The same failure text as the item's (the item prefixes the check's name).
    assert text.removeprefix("round_trip[2]: ") in result.stdout.str()


CONFTEST_DB = """
import pytest
from pytest_acodb.db.connect import memory_database

@pytest.fixture
def acodb_db(acodb_connector):
    database = memory_database(connector=acodb_connector)
    database.keeper.execute("CREATE TABLE only_here (id INTEGER PRIMARY KEY)")
    yield database
    database.close()
"""

CONFTEST_ENGINE = """
import pytest
from sqlalchemy import create_engine, event

@pytest.fixture
def acodb_engine(acodb_db):
    engine = create_engine(acodb_db.url, module=acodb_db.connector.driver.module)
    event.listen(engine, "connect", lambda dbapi, _: dbapi.execute("CREATE TEMP TABLE only_here (x)"))
    yield engine
    engine.dispose()
"""

USES_SESSION = """
from sqlalchemy import text

def test_session_sees_the_override(acodb_session):
    assert acodb_session.execute(text("SELECT count(*) FROM only_here")).scalar() == 0
"""


@pytest.mark.parametrize("conftest", [CONFTEST_DB, CONFTEST_ENGINE], ids=["acodb_db", "engine"])
def test_overriding_a_layer_changes_the_session_built_on_it(
    pytester: pytest.Pytester, conftest: str
) -> None:
    pytester.makeconftest(conftest)
    pytester.makepyfile(USES_SESSION)
    pytester.runpytest().assert_outcomes(passed=1)


def test_what_the_layers_over_an_overridden_acodb_db_made_is_closed_after_the_test(
    pytester: pytest.Pytester,
) -> None:
    # acodb_db without an engine: acodb_engine makes one for the test and disposes of it after,
    # and acodb_session is closed after the test, though no _acodb runs to end them.
    pytester.makeconftest(CONFTEST_DB)
    pytester.makepyfile(
        """
        from sqlalchemy import text

        made = {}

        def test_first(acodb_session, acodb_engine, request):
            assert "_acodb" not in request.fixturenames
            acodb_session.execute(text("SELECT count(*) FROM only_here"))
            made.update(session=acodb_session, engine=acodb_engine, pool=acodb_engine.pool)

        def test_second():
            assert not made["session"].in_transaction()  # closed
            assert made["engine"].pool is not made["pool"]  # disposed (a new pool)
        """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=2)


def test_an_overridden_acodb_db_still_gets_seeded_factories(pytester: pytest.Pytester) -> None:
    # No _acodb runs (the override makes the database), yet acodb_session seeds the data: the
    # clock is pinned, the same --acodb-seed gives the same rows, sequences restart per test.
    pytester.makeconftest(CONFTEST_DB)
    pytester.makepyfile(
        """
        from pytest_acodb.acolib.factories import TaskFactory
        from pytest_acodb.synth.factories import REFERENCE_TIME, now

        def test_first(acodb_session, request):
            assert "_acodb" not in request.fixturenames
            assert now() == REFERENCE_TIME
            task = TaskFactory.build()
            print("DATA", task.id, task.title, task.created_at)
            TaskFactory.reset_sequence(7)

        def test_second(acodb_session):
            assert TaskFactory._meta.next_sequence() == 0
        """
    )
    runs = [pytester.runpytest("-p", "no:randomly", "--acodb-seed=5", "-s") for _ in range(2)]
    for run in runs:
        run.assert_outcomes(passed=2)
    data = [[line for line in run.outlines if "DATA" in line] for run in runs]
    assert data[0] == data[1] and len(data[0]) == 1


def test_overriding_the_migrations_dir_reaches_session_factories_and_checks(
    pytester: pytest.Pytester,
) -> None:
    # Two directories with the same versions; only the fixture's one fails its upgrade.
    mine = "CREATE TABLE notes (id INTEGER PRIMARY KEY);\nINSERT INTO notes VALUES (1), (1);\n"
    _write(pytester.path / "mine", {"1_notes.sql": mine})
    _write(pytester.path / "declared", {"1_notes.sql": "CREATE TABLE notes (id INTEGER);\n"})
    pytester.makeini("[pytest]\nacodb_migrations = declared\n")
    pytester.makeconftest(
        """
        import pytest
        from pathlib import Path

        @pytest.fixture(scope="session")
        def acodb_migrations_dir():
            return Path(__file__).parent / "mine"
        """
    )
    pytester.makepyfile(
        """
        def test_session_uses_the_fixture(acodb_session):
            pass
        """
    )
    result = pytester.runpytest("--acodb-check-migrations", "-v")
    result.stdout.fnmatch_lines(
        [
            "*acodb::upgrade[[]1[]] FAILED*",
            "*upgrade[[]1[]]: *mine*1_notes.sql:2: failed to apply migration 1*UNIQUE*",
        ]
    )
    # The template of the session's databases is built from the fixture's directory too.
    result.stdout.fnmatch_lines(["*test_session_uses_the_fixture ERROR*"])
    assert "UNIQUE constraint failed: notes.id" in result.stdout.str()


FACTORYBOY_CONFTEST = """
from pytest_factoryboy import register
from pytest_acodb.acolib.factories import TaskFactory

register(TaskFactory)
"""


@pytest.mark.parametrize(
    "signature",
    ["task, acodb_session", "acodb_session, task", "task", "task_factory, acodb_session"],
)
def test_pytest_factoryboy_fixtures_work_in_any_order(
    pytester: pytest.Pytester, signature: str
) -> None:
    pytester.makeconftest(FACTORYBOY_CONFTEST)
    body = "task = task_factory()" if signature.startswith("task_factory") else "pass"
    pytester.makepyfile(
        f"""
        from sqlalchemy import text
        from pytest_acodb.synth.session import current_session

        def test_row_is_in_the_test_database({signature}):
            {body}
            count = current_session().execute(text("SELECT count(*) FROM tasks")).scalar()
            assert count == 1
        """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=1)


def test_without_pytest_factoryboy_a_fixture_that_calls_factories_names_acodb_session(
    pytester: pytest.Pytester,
) -> None:
    # Without pytest-factoryboy no hook wraps every fixture's setup: a fixture of the user's
    # that calls a factory before acodb_session is set up fails in one line saying to request
    # it there; naming acodb_session among its arguments works in any order.
    pytester.makepyfile(
        """
        import pytest
        from pytest_acodb.acolib.factories import TaskFactory

        @pytest.fixture
        def task():
            return TaskFactory()

        @pytest.fixture
        def declared_task(acodb_session):
            return TaskFactory()

        def test_undeclared(task, acodb_session):
            pass

        def test_declared(declared_task, acodb_session):
            assert acodb_session.get(type(declared_task), declared_task.id) is declared_task
        """
    )
    result = pytester.runpytest("-p", "no:randomly", "-p", "no:pytest-factoryboy")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        ["E * request the acodb_session fixture * in the test or fixture that calls the factory*"]
    )


def test_a_factory_in_a_thread_of_its_own_needs_the_session_bound_there(
    pytester: pytest.Pytester,
) -> None:
    # The factories' session is bound per thread (a context variable): a factory called from a
    # worker thread gets a NoSessionError saying so, and works once the session is bound there.
    pytester.makepyfile(
        """
        from concurrent.futures import ThreadPoolExecutor

        import pytest
        from pytest_acodb.acolib.factories import TaskFactory
        from pytest_acodb.errors import NoSessionError
        from pytest_acodb.synth.session import bind_session, unbind_session

        def test_threads(acodb_session):
            with ThreadPoolExecutor(1) as pool:
                with pytest.raises(NoSessionError, match="binding is per thread"):
                    pool.submit(TaskFactory).result()

                def bound():
                    token = bind_session(acodb_session)
                    try:
                        return TaskFactory().id
                    finally:
                        unbind_session(token)

                assert pool.submit(bound).result() is not None
        """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=1)
