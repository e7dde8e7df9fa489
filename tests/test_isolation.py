"""Isolation modes, the template cache and pytest-xdist, the way users run them (pytester)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

FACTORY_SUITE = """
from sqlalchemy import func, select, text
from pytest_acodb.acolib.factories import ToolExecutionFactory
from pytest_acodb.acolib.models import Task, ToolExecution


def test_a_factory_commits(acodb_session):
    ToolExecutionFactory.create_batch(2)
    assert acodb_session.scalar(select(func.count()).select_from(ToolExecution)) == 2


def test_b_starts_empty(acodb_session):
    assert acodb_session.scalar(select(func.count()).select_from(Task)) == 0


def test_c_connection_commits(acodb_connection):
    acodb_connection.execute(text(
        "INSERT INTO configurations (key, value, value_type, is_secret) "
        "VALUES ('k', '1', 'integer', 0)"))
    acodb_connection.commit()
    assert acodb_connection.execute(text("SELECT count(*) FROM configurations")).scalar() == 1


def test_d_starts_empty(acodb_connection):
    assert acodb_connection.execute(text("SELECT count(*) FROM configurations")).scalar() == 0
    assert acodb_connection.execute(text("SELECT count(*) FROM tasks")).scalar() == 0
"""


@pytest.mark.parametrize(
    "how", ["default", "--acodb-isolation=rollback", "ini rollback", "marker rollback"]
)
def test_both_isolations_start_every_test_empty_after_commits(
    pytester: pytest.Pytester, how: str
) -> None:
    args: list[str] = ["-p", "no:randomly"]
    suite = FACTORY_SUITE
    if how.startswith("--"):
        args.append(how)
    elif how == "ini rollback":
        pytester.makeini("[pytest]\nacodb_isolation = rollback\n")
    elif how == "marker rollback":
        suite = 'import pytest\npytestmark = pytest.mark.acodb(isolation="rollback")\n' + suite
    pytester.makepyfile(suite)
    result = pytester.runpytest(*args)
    result.assert_outcomes(passed=4)
    isolation = "clone" if how == "default" or how == "marker rollback" else "rollback"
    result.stdout.fnmatch_lines([f"acodb: migrations * backend memory, isolation {isolation}, *"])
    result.stdout.fnmatch_lines(["acodb: template *: 7 migrations run in * ms"])


def test_rollback_with_the_file_backend(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(FACTORY_SUITE)
    result = pytester.runpytest(
        "-p", "no:randomly", "--acodb-isolation=rollback", "--acodb-backend=file"
    )
    result.assert_outcomes(passed=4)


def test_rollback_shares_one_database_and_clone_gives_a_copy(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        urls = {}

        @pytest.mark.acodb(isolation="rollback")
        def test_r1(acodb_db, acodb_engine):
            urls["r1"] = acodb_db.url
            assert acodb_db.isolation == "rollback" and acodb_engine is acodb_db.engine

        @pytest.mark.acodb(isolation="rollback")
        def test_r2(acodb_db):
            assert acodb_db.url == urls["r1"]

        def test_clone(acodb_db, acodb_url):
            assert acodb_db.isolation == "clone" and acodb_url != urls["r1"]
        """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=3)


def test_rollback_refuses_ddl_and_pragma_changes_then_recovers(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from sqlalchemy import text

        def test_ddl(acodb_connection):
            acodb_connection.execute(text("CREATE TABLE scratch (id INTEGER)"))

        def test_pragma(acodb_session):
            acodb_session.execute(text("PRAGMA recursive_triggers = ON"))

        def test_after(acodb_connection):
            names = acodb_connection.execute(text("SELECT name FROM sqlite_master")).scalars()
            assert "scratch" not in set(names)
            assert acodb_connection.execute(text("PRAGMA recursive_triggers")).scalar() == 0
        """
    )
    result = pytester.runpytest("-p", "no:randomly", "--acodb-isolation=rollback")
    result.assert_outcomes(passed=3, errors=2)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_ddl*",
            "isolation=rollback refuses this test: it ran DDL (CREATE TABLE scratch)*"
            '@pytest.mark.acodb(isolation="clone")',
            "*ERROR at teardown of test_pragma*",
            "isolation=rollback refuses this test: it ran PRAGMA recursive_triggers = ON*",
        ]
    )


def test_a_test_marked_clone_may_run_ddl_under_rollback(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        from sqlalchemy import text

        @pytest.mark.acodb(isolation="clone")
        def test_ddl(acodb_connection):
            acodb_connection.execute(text("CREATE TABLE scratch (id INTEGER)"))
        """
    )
    pytester.runpytest("--acodb-isolation=rollback").assert_outcomes(passed=1)


def test_bad_isolation_values_are_clear_errors(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--acodb-isolation=savepoint")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*--acodb-isolation: 'savepoint' is not allowed; use one of: clone, rollback*"]
    )
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.acodb(isolation="nested")
        def test_x(acodb_db):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*isolation='nested'*use one of 'clone', 'rollback'*"])


# -- the template cache ------------------------------------------------------------------------


def _own_migrations(pytester: pytest.Pytester) -> Path:
    migrations = pytester.mkdir("db")
    (migrations / "1_items.up.sql").write_text("CREATE TABLE items (id INTEGER PRIMARY KEY);")
    (migrations / "1_items.down.sql").write_text("DROP TABLE items;")
    (migrations / "2_tags.sql").write_text("CREATE TABLE tags (name TEXT PRIMARY KEY);")
    pytester.makeini("[pytest]\nacodb_migrations = db\n")
    pytester.makepyfile("def test_x(acodb_engine):\n    pass\n")
    return migrations


def test_reuse_template_migrates_nothing_until_a_migration_changes(
    pytester: pytest.Pytester,
) -> None:
    migrations = _own_migrations(pytester)
    first = pytester.runpytest("--acodb-reuse-template")
    first.assert_outcomes(passed=1)
    first.stdout.fnmatch_lines(
        [
            "acodb: * isolation clone, template cache on*",
            "acodb: template *: 2 migrations run in * ms, stored in the cache",
        ]
    )
    second = pytester.runpytest("--acodb-reuse-template")
    second.assert_outcomes(passed=1)
    second.stdout.fnmatch_lines(["acodb: template *: 0 migrations run, read from *acodb* in * ms"])
    (migrations / "2_tags.sql").write_text("CREATE TABLE tags (name TEXT PRIMARY KEY, n INT);")
    third = pytester.runpytest("--acodb-reuse-template")
    third.stdout.fnmatch_lines(["acodb: template *: 2 migrations run in * ms, stored in the cache"])
    without = pytester.runpytest()
    without.stdout.fnmatch_lines(["acodb: template *: 2 migrations run in * ms"])
    without.stdout.no_fnmatch_line("*stored in the cache*")


def test_reuse_template_from_ini(pytester: pytest.Pytester) -> None:
    _own_migrations(pytester)
    pytester.makeini("[pytest]\nacodb_migrations = db\nacodb_reuse_template = true\n")
    pytester.runpytest().stdout.fnmatch_lines(["*2 migrations run*stored in the cache"])
    pytester.runpytest().stdout.fnmatch_lines(["*0 migrations run, read from*"])


def test_reuse_template_without_the_cache_plugin_warns(pytester: pytest.Pytester) -> None:
    _own_migrations(pytester)
    result = pytester.runpytest("--acodb-reuse-template", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(["*--acodb-reuse-template: pytest's cache is disabled*"])


# -- pytest-xdist ------------------------------------------------------------------------------

XDIST_SUITE = """
import json
import os

import pytest

OUT = {out!r}


def record(kind, acodb_db, tmp_path_factory):
    entry = {{
        "worker": os.environ.get("PYTEST_XDIST_WORKER"),
        "kind": kind,
        "url": acodb_db.url,
        "path": str(acodb_db.path) if acodb_db.path else None,
        "basetemp": str(tmp_path_factory.getbasetemp()),
    }}
    with open(os.path.join(OUT, f"{{os.getpid()}}-{{os.urandom(4).hex()}}.json"), "w") as f:
        json.dump(entry, f)


@pytest.mark.parametrize("n", range(12))
def test_default(n, acodb_db, acodb_session, tmp_path_factory):
    from pytest_acodb.acolib.factories import TaskFactory
    from pytest_acodb.acolib.models import Task

    TaskFactory()
    assert acodb_session.query(Task).count() == 1
    record("default", acodb_db, tmp_path_factory)


@pytest.mark.parametrize("n", range(6))
@pytest.mark.acodb(isolation={other!r})
def test_other_isolation(n, acodb_db, acodb_session, tmp_path_factory):
    from pytest_acodb.acolib.factories import TaskFactory
    from pytest_acodb.acolib.models import Task

    TaskFactory()
    assert acodb_session.query(Task).count() == 1
    record("other", acodb_db, tmp_path_factory)
"""


@pytest.mark.parametrize(("backend", "isolation"), [("memory", "clone"), ("file", "rollback")])
def test_xdist_workers_never_share_a_database(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, backend: str, isolation: str
) -> None:
    monkeypatch.setenv("PYTEST_ADDOPTS", "-p no:hypothesispytest -p no:randomly")
    out = pytester.mkdir("out")
    other = "rollback" if isolation == "clone" else "clone"
    pytester.makepyfile(XDIST_SUITE.format(out=str(out), other=other))
    result = pytester.runpytest_subprocess(
        "-n",
        "2",
        f"--acodb-backend={backend}",
        f"--acodb-isolation={isolation}",
        "--acodb-reuse-template",
    )
    result.assert_outcomes(passed=18)
    entries = [json.loads(p.read_text()) for p in out.iterdir()]
    workers = {e["worker"] for e in entries}
    assert workers == {"gw0", "gw1"}
    by_worker = {w: {e["url"] for e in entries if e["worker"] == w} for w in workers}
    assert not by_worker["gw0"] & by_worker["gw1"], "two workers shared a database"
    if backend == "file":
        for entry in entries:
            assert entry["path"].startswith(entry["basetemp"])
            assert entry["basetemp"].endswith(entry["worker"])
    # Each worker made its template; with the cache, only one of them ran the migrations.
    lines = [line for line in result.stdout.lines if line.startswith("acodb: [gw")]
    assert len(lines) == 2, result.stdout.str()
    assert sum("7 migrations run" in line for line in lines) == 1, lines
    assert sum("0 migrations run, read from" in line for line in lines) == 1, lines


@pytest.mark.parametrize("isolation", ["clone", "rollback"])
def test_a_session_whose_setup_fails_still_ends_its_database(
    pytester: pytest.Pytester, isolation: str
) -> None:
    # The database is started before the factories are seeded; when seeding raises, the
    # outer transaction (rollback) must still end, or every later test fails to BEGIN.
    pytester.makepyfile(
        """
        import pytest
        from sqlalchemy import text
        from pytest_acodb.synth.factories import base

        @pytest.fixture
        def broken_seeding(monkeypatch):
            def reseed(seed):
                raise RuntimeError("seeding broke")
            monkeypatch.setattr(base, "reseed", reseed)

        def test_a_setup_fails(broken_seeding, acodb_session):
            pass

        def test_b_next_test_works(acodb_session):
            assert acodb_session.execute(text("SELECT count(*) FROM tasks")).scalar() == 0
        """
    )
    # In a subprocess: the monkeypatch must reach the module the plugin imported.
    result = pytester.runpytest_subprocess("-p", "no:randomly", f"--acodb-isolation={isolation}")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*RuntimeError: seeding broke*"])
