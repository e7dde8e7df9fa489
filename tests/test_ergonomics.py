"""Reproducible data, kept databases, secrets, and the convenience fixtures, as users run them."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

DATA_TESTS = """
import json, pathlib
from pytest_acodb.acolib.factories import ConfigurationFactory, TaskFactory

def _dump(name, rows):
    pathlib.Path("out", name + ".json").write_text(json.dumps(rows))

def test_alpha(acodb_session):
    _dump("alpha", [TaskFactory().title for _ in range(3)])
{middle}
def test_omega(acodb_session):
    task = TaskFactory(failed=True)
    _dump("omega", [task.id, task.error, ConfigurationFactory().value])
"""


def _data(pytester: pytest.Pytester, *args: str, middle: str = "") -> dict[str, list[str]]:
    out = pytester.path / "out"
    out.mkdir(exist_ok=True)
    for old in out.iterdir():
        old.unlink()
    pytester.makepyfile(test_data=DATA_TESTS.format(middle=middle))
    # In a subprocess: in-process runs re-import some of factory_boy's modules but not others,
    # which splits its random generator in two.
    result = pytester.runpytest_subprocess(*args)
    result.assert_outcomes(passed=3 if middle else 2)
    return {p.stem: json.loads(p.read_text()) for p in sorted(out.iterdir())}


def test_same_seed_same_data_and_new_tests_change_nothing(pytester: pytest.Pytester) -> None:
    first = _data(pytester, "--acodb-seed=1234")
    assert _data(pytester, "--acodb-seed=1234") == first
    extra = "def test_middle(acodb_session):\n    TaskFactory.create_batch(5)\n"
    assert _data(pytester, "--acodb-seed=1234", "-p", "no:randomly", middle=extra) == first
    assert _data(pytester, "--acodb-seed=99") != first


def test_same_seed_same_stored_rows_in_every_column(pytester: pytest.Pytester) -> None:
    # Every timestamp too: the factories set created_at/updated_at themselves, from the pinned
    # REFERENCE_TIME, instead of leaving them to the database's clock.
    pytester.makepyfile(
        """
        import json, pathlib
        from pytest_acodb.acolib.factories import ACODB_FACTORIES

        def test_every_table(acodb_session, acodb_connection):
            for factory in ACODB_FACTORIES:
                factory()
            rows = {
                table: [list(r) for r in acodb_connection.exec_driver_sql(
                    f"SELECT * FROM {table} ORDER BY rowid").all()]
                for table in ("tasks", "workflows", "workflow_tasks", "tool_executions",
                              "sessions", "configurations")
            }
            pathlib.Path("rows.json").write_text(json.dumps(rows))
        """
    )
    dumps = []
    for _ in range(2):
        pytester.runpytest_subprocess("--acodb-seed=5").assert_outcomes(passed=1)
        dumps.append((pytester.path / "rows.json").read_text())
    assert dumps[0] == dumps[1]
    assert "2025-01" in dumps[0]  # timestamps from REFERENCE_TIME, not today's clock


def test_seed_in_header_and_in_failures(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from pytest_acodb.acolib.factories import TaskFactory

        def test_fails(acodb_session):
            assert TaskFactory().status == "running"

        def test_no_kit_data():
            assert 1 == 2
        """
    )
    result = pytester.runpytest("--acodb-seed=777")
    result.stdout.fnmatch_lines(["acodb: migrations * seed 777"])
    output = result.stdout.str()
    assert "test data seeded from run seed 777; replay with --acodb-seed 777" in output
    assert output.count("replay with --acodb-seed") == 1  # not for the test without kit data


@pytest.mark.parametrize("seed", ["-1", "18446744073709551616", "12 34", "0x10"])
def test_bad_seed_is_a_usage_error(pytester: pytest.Pytester, seed: str) -> None:
    result = pytester.runpytest(f"--acodb-seed={seed}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*acodb_seed = *: give one whole number from 0 to 18446744073709551615*"]
    )


def test_largest_seed_is_accepted(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_it(acodb_seed):\n    assert acodb_seed >= 0\n")
    pytester.runpytest("--acodb-seed=18446744073709551615").assert_outcomes(passed=1)


def test_random_run_seed_is_shared_by_xdist_workers(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_ADDOPTS", "-p no:hypothesispytest -p no:randomly")
    pytester.makepyfile(
        """
        import pytest
        from pytest_acodb.acolib.factories import TaskFactory

        @pytest.mark.parametrize("n", range(4))
        def test_fail(acodb_session, n):
            assert TaskFactory() is None
        """
    )
    result = pytester.runpytest_subprocess("-n", "2")
    seeds = {
        line.split("run seed ")[1].split(";")[0]
        for line in result.stdout.lines
        if "seeded from run seed" in line
    }
    assert len(seeds) == 1
    header = next(line for line in result.stdout.lines if line.startswith("acodb: migrations"))
    assert header.endswith(f"seed {seeds.pop()}")


def test_keep_failed_keeps_an_openable_copy(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from pytest_acodb.acolib.factories import WorkflowTaskFactory

        def test_broken(acodb_session):
            WorkflowTaskFactory.create_batch(2)
            assert False, "look at the database"

        def test_fine(acodb_session):
            WorkflowTaskFactory()
        """
    )
    result = pytester.runpytest("--acodb-keep-failed")
    result.assert_outcomes(passed=1, failed=1)
    line = next(line for line in result.stdout.lines if "database kept at" in line)
    path = Path(line.split("database kept at ")[1].split(" (")[0])
    assert path.is_file() and "test_broken" in path.name
    kept = sqlite3.connect(path)
    assert kept.execute("SELECT count(*) FROM workflow_tasks").fetchone() == (2,)
    assert kept.execute("SELECT count(*) FROM _sqlx_migrations").fetchone() == (7,)
    assert len(list(path.parent.iterdir())) == 1  # nothing kept for the passing test


def test_secrets_never_reach_reprs_or_assertion_output(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from pytest_acodb.acolib.factories import ConfigurationFactory

        def test_compare(acodb_session):
            a = ConfigurationFactory(secret=True, value="hunter" + "2-do-not-print")
            b = ConfigurationFactory(secret=True)
            assert a == b

        def test_repr(acodb_session):
            cfg = ConfigurationFactory(secret=True, value="hunter" + "2-do-not-print")
            assert "hunter2" not in repr(cfg)
            assert cfg is None
        """
    )
    result = pytester.runpytest("-vv", "-l")
    result.assert_outcomes(failed=2)
    output = result.stdout.str()
    assert "hunter2-do-not-print" not in output
    assert "value='***'" in output
    assert "configuration values are hidden when is_secret is set" in output


def test_a_failing_insert_does_not_print_bound_secret_values(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        from pytest_acodb.acolib.factories import ConfigurationFactory

        @pytest.mark.parametrize(
            "isolation", [pytest.param(i, marks=pytest.mark.acodb(isolation=i))
                          for i in ("clone", "rollback")])
        def test_duplicate_key(acodb_session, isolation):
            ConfigurationFactory.create_batch(
                2, secret=True, key="same.key", value="hunter" + "2-do-not-print"
            )
        """
    )
    # --tb=short: pytest's long tracebacks print every frame's arguments (the driver's bound
    # parameters, a factory's keyword arguments), which no plugin controls (README: Secrets).
    result = pytester.runpytest("-vv", "--tb=short")
    result.assert_outcomes(failed=2)
    output = result.stdout.str()
    assert "UNIQUE constraint failed: configurations.key" in output
    assert "hunter2-do-not-print" not in output
    assert "SQL parameters hidden" in output


def test_factories_fixture_and_pytest_factoryboy(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        from pytest_factoryboy import register
        from pytest_acodb.acolib.factories import TaskFactory, ToolExecutionFactory

        register(TaskFactory)
        register(ToolExecutionFactory)
        """
    )
    pytester.makepyfile(
        """
        from sqlalchemy import func, select
        from pytest_acodb.acolib.models import Task, ToolExecution

        def test_namespace(acodb_factories, acodb_session):
            acodb_factories.TaskFactory(failed=True)
            acodb_factories.WorkflowTaskFactory()
            assert acodb_session.scalar(select(func.count()).select_from(Task)) == 2

        def test_registered(acodb_session, tool_execution, task_factory):
            assert isinstance(tool_execution, ToolExecution)
            assert tool_execution.task.id
            task_factory(cancelled=True)
            assert acodb_session.scalar(select(func.count()).select_from(Task)) == 2
        """
    )
    pytester.runpytest().assert_outcomes(passed=2)


def test_migrator_tests_a_data_migration(pytester: pytest.Pytester) -> None:
    migrations = pytester.mkdir("migrations")
    (migrations / "1_users.up.sql").write_text(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, full_name TEXT NOT NULL);"
    )
    (migrations / "1_users.down.sql").write_text("DROP TABLE users;")
    (migrations / "2_first_name.up.sql").write_text(
        "ALTER TABLE users ADD COLUMN first_name TEXT;\n"
        "UPDATE users SET first_name = substr(full_name, 1, instr(full_name, ' ') - 1);"
    )
    (migrations / "2_first_name.down.sql").write_text("ALTER TABLE users DROP COLUMN first_name;")
    pytester.makepyfile(
        """
        import pytest
        from sqlalchemy import text
        from pytest_acodb.db.connect import create_engine

        @pytest.mark.acodb(target=1)
        def test_split(acodb_migrator):
            assert acodb_migrator.version == 1
            acodb_migrator.conn.execute("INSERT INTO users (full_name) VALUES ('Grace Hopper')")
            acodb_migrator.up()
            engine = create_engine(acodb_migrator.url)
            with engine.connect() as conn:
                assert conn.execute(text("SELECT first_name FROM users")).scalar() == "Grace"
            engine.dispose()
            acodb_migrator.down()
            assert acodb_migrator.version == 1

        def test_starts_empty(acodb_migrator):
            assert acodb_migrator.version is None
            acodb_migrator.to(2)
            assert acodb_migrator.applied == [1, 2]
        """
    )
    pytester.runpytest("--acodb-migrations=migrations").assert_outcomes(passed=2)


def test_rows_fixture_seeds_any_table(pytester: pytest.Pytester) -> None:
    migrations = pytester.mkdir("migrations")
    (migrations / "1_shop.sql").write_text(
        'CREATE TABLE "order" (id INTEGER PRIMARY KEY, state TEXT NOT NULL '
        "CHECK (state IN ('new', 'paid')));\n"
        'CREATE TABLE line (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL REFERENCES "order"'
        "(id) ON DELETE CASCADE, qty INTEGER NOT NULL CHECK (qty BETWEEN 1 AND 9));\n"
    )
    pytester.makepyfile(
        """
        from sqlalchemy import text

        def test_rows(acodb_rows, acodb_connection):
            assert acodb_rows.seed_table("line", 4) == 4
            paid = acodb_rows.insert("order", state="paid")
            assert paid["state"] == "paid"
            count = acodb_connection.execute(text('SELECT count(*) FROM "order"')).scalar()
            assert count >= 2
        """
    )
    pytester.runpytest("--acodb-migrations=migrations").assert_outcomes(passed=1)


def test_keep_failed_under_rollback_says_why_instead_of_waiting(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        from pytest_acodb.acolib.factories import TaskFactory

        @pytest.mark.acodb(isolation="rollback")
        def test_rb_fail(acodb_session):
            TaskFactory()
            assert False
        """
    )
    result = pytester.runpytest("--acodb-keep-failed")
    result.assert_outcomes(failed=1)
    assert "database not kept: isolation 'rollback'" in result.stdout.str()


@pytest.mark.parametrize(
    ("marker", "fixture", "message"),
    [
        (
            'backend="disk"',
            "acodb_session",
            "@pytest.mark.acodb(backend='disk'): use one of 'memory', 'file'",
        ),
        (
            'target="abc"',
            "acodb_migrator",
            "@pytest.mark.acodb(target='abc'): give a migration version",
        ),
    ],
    ids=["backend", "target"],
)
def test_bad_marker_value_is_one_line(
    pytester: pytest.Pytester, marker: str, fixture: str, message: str
) -> None:
    pytester.makepyfile(
        f"""
        import pytest

        @pytest.mark.acodb({marker})
        def test_x({fixture}):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    output = result.stdout.str()
    assert message in output
    assert "ValueError" not in output and "def acodb_" not in output  # no fixture source dumped
    assert "During handling" not in output  # said once, not chained to another error


def test_bad_metadata_spec_fails_its_item_in_one_line(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest(
        "--acodb-check-migrations", "--acodb-metadata=nosuch.mod:x", "-k", "models_match"
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    output = result.stdout.str()
    assert "acodb_metadata = 'nosuch.mod:x': cannot import nosuch.mod" in output
    assert "Traceback" not in output and len(result.stdout.lines) < 60


def test_rows_fixture_seeds_the_bundled_tables(pytester: pytest.Pytester) -> None:
    # The fixture's seed is 64-bit; the synthesiser once overflowed on timestamp columns.
    pytester.makepyfile(
        """
        def test_rows(acodb_rows, acodb_connection):
            from sqlalchemy import text
            for table in ("tasks", "workflow_tasks", "tool_executions"):
                assert acodb_rows.seed_table(table, 5) == 5
            assert acodb_connection.execute(text("SELECT count(*) FROM tool_executions")).scalar() == 5
        """
    )
    pytester.runpytest("--acodb-seed=3018862208").assert_outcomes(passed=1)
