"""``--acodb-check-migrations`` as users run it: items, names, verdicts on known fault sets."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CASES = Path(__file__).parent / "cases"
KINDS = ("upgrade", "round_trip", "no_trace", "trigger", "cascade", "constraint", "factory")


def _cases() -> list[Path]:
    return sorted(p for p in CASES.iterdir() if (p / "expect").is_file())


SEEDS = (1, 2, 3)
"""Every case runs with each of these run seeds (``--acodb-seed``): a verdict must not depend
on the rows a seed happens to make."""


def _run_case(pytester: pytest.Pytester, case: Path, seed: int) -> pytest.RunResult:
    shutil.copytree(case, pytester.path / "migrations")
    values = case / "values"  # table.column = value lines: the acodb_values ini key
    if values.is_file():
        lines = "".join(f"    {line}\n" for line in values.read_text().splitlines() if line)
        pytester.makeini(f"[pytest]\nacodb_values =\n{lines}")
    return pytester.runpytest(
        "--acodb-check-migrations", "--acodb-migrations=migrations", f"--acodb-seed={seed}", "-rA"
    )


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("case", _cases(), ids=lambda p: p.name)
def test_case_gets_its_expected_verdict(pytester: pytest.Pytester, case: Path, seed: int) -> None:
    expect = (case / "expect").read_text().splitlines()
    result = _run_case(pytester, case, seed)
    output = result.stdout.str()
    if expect[0].strip() == "clean":
        assert result.ret == 0, output
        assert " passed" in output
        return
    assert expect[0].strip() == "fail"
    assert result.ret == pytest.ExitCode.TESTS_FAILED, output
    failed = [line for line in result.stdout.lines if line.startswith("FAILED")]
    for rule in expect[1:]:
        key, _, value = rule.partition(":")
        if key == "item":
            tokens = value.split()
            assert any(all(t in line for t in tokens) for line in failed), (tokens, failed)
        elif key == "text":
            assert value.strip() in output


def test_bundled_schema_passes_every_kind_of_check(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--acodb-check-migrations", "-rA")
    outcomes = result.parseoutcomes()
    assert result.ret == 0, result.stdout.str()
    assert outcomes["passed"] >= 25
    passed = [line for line in result.stdout.lines if line.startswith("PASSED acodb::")]
    for kind in KINDS:
        assert any(f"::{kind}[" in line for line in passed), kind
    assert any("round_trip[20250115000003]" in line for line in passed)
    assert any("cascade[workflow_tasks.task_id]" in line for line in passed)
    assert any("trigger[trg_tasks_updated_at]" in line for line in passed)
    assert any("constraint[tasks.status]" in line for line in passed)


def test_checks_are_collected_without_test_files_and_selectable(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--acodb-check-migrations", "--collect-only", "-q")
    assert "acodb::upgrade[20250115000001]" in result.stdout.str()
    selected = pytester.runpytest("--acodb-check-migrations", "-k", "round_trip", "-q")
    assert selected.parseoutcomes()["passed"] == 7


def test_no_checks_without_the_flag(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--collect-only", "-q")
    assert "acodb::" not in result.stdout.str()
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_checks_run_alongside_user_tests_from_ini(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nacodb_check_migrations = true\n")
    pytester.makepyfile("def test_mine():\n    assert 1 + 1 == 2\n")
    result = pytester.runpytest("-q")
    assert result.ret == 0
    assert result.parseoutcomes()["passed"] >= 26


def _migrations(pytester: pytest.Pytester) -> Path:
    directory = pytester.mkdir("migrations")
    (directory / "1_posts.up.sql").write_text("CREATE TABLE posts (id INTEGER PRIMARY KEY);\n")
    (directory / "1_posts.down.sql").write_text("DROP TABLE posts;\n")
    return directory


def test_lock_file_is_verified_with_the_checks(pytester: pytest.Pytester) -> None:
    from pytest_acodb.migrate.lockfile import write_lock

    directory = _migrations(pytester)
    write_lock(directory)
    args = ("--acodb-check-migrations", "--acodb-migrations=migrations", "-rA")
    ok = pytester.runpytest(*args)
    assert "PASSED acodb::lock[acodb.lock]" in ok.stdout.lines
    (directory / "1_posts.up.sql").write_text("CREATE TABLE posts (id TEXT PRIMARY KEY);\n")
    edited = pytester.runpytest(*args)
    assert edited.ret == pytest.ExitCode.TESTS_FAILED
    assert any(line.startswith("FAILED acodb::lock[acodb.lock#1]") for line in edited.stdout.lines)
    assert "migration 1 was edited after it was locked" in edited.stdout.str()


def test_existing_database_is_validated_one_item_per_problem(pytester: pytest.Pytester) -> None:
    from pytest_acodb.db.connect import connect
    from pytest_acodb.migrate import Migrator, resolve

    directory = _migrations(pytester)
    conn = connect(str(pytester.path / "prod.db"))
    Migrator(resolve(directory)).run(conn)
    conn.close()
    args = (
        "--acodb-check-migrations",
        "--acodb-migrations=migrations",
        "-rA",
        "--acodb-database=sqlite:prod.db",
    )
    assert "PASSED acodb::database[sqlite:prod.db]" in pytester.runpytest(*args).stdout.lines
    (directory / "2_more.sql").write_text("CREATE TABLE more (id INTEGER);\n")
    (directory / "1_posts.up.sql").write_bytes(b"CREATE TABLE posts (id INTEGER PRIMARY KEY);\r\n")
    result = pytester.runpytest(*args)
    failed = [line for line in result.stdout.lines if line.startswith("FAILED")]
    # Pending is no fault (a rehearse item applies it to a copy), but a database whose applied
    # migration was modified cannot be migrated as it is: the rehearsal skips saying so.
    assert [line.split(" - ")[0] for line in failed] == [
        "FAILED acodb::database[sqlite:prod.db:line_endings:1]",
    ]
    assert "line endings changed" in result.stdout.str()
    result.stdout.fnmatch_lines(
        ["SKIPPED *acodb::rehearse[[]2[]]: the database cannot be migrated*"]
    )


def test_warnings_show_in_the_summary_without_failing(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--acodb-check-migrations", "-q")
    assert result.ret == 0
    output = result.stdout.str()
    assert "warnings summary" in output
    assert (
        "AcodbWarning: 20250115000004_create_tool_executions.up.sql:23: index "
        "idx_tool_executions_task_fk" in output
    )
    assert (
        "models_match[pytest_acodb.acolib.models:Base.metadata]" not in output
    )  # it passed quietly


def _two_versions(pytester: pytest.Pytester) -> None:
    directory = pytester.mkdir("migrations")
    (directory / "1_a.up.sql").write_text("CREATE TABLE a (id INTEGER PRIMARY KEY);\n")
    (directory / "1_a.down.sql").write_text("DROP TABLE a;\n")
    (directory / "2_b.up.sql").write_text("CREATE TABLE b (id INTEGER PRIMARY KEY);\n")
    (directory / "2_b.down.sql").write_text("-- forgot\n")


def test_choosing_what_runs_from_ini(pytester: pytest.Pytester) -> None:
    _two_versions(pytester)
    base = ("--acodb-check-migrations", "--acodb-migrations=migrations", "-rA")
    broken = pytester.runpytest(*base)
    assert broken.ret == pytest.ExitCode.TESTS_FAILED  # round_trip[2] and no_trace, empty_down
    pytester.makeini(
        "[pytest]\nacodb_irreversible = 2\nacodb_check_kinds = round_trip, no_trace\n"
        "acodb_severity = empty_down=off\n"
    )
    result = pytester.runpytest(*base)
    assert result.ret == 0, result.stdout.str()
    lines = result.stdout.lines
    assert "PASSED acodb::round_trip[1]" in lines
    assert any(
        line.startswith("SKIPPED") and "migration 2 is irreversible on purpose" in line
        for line in lines
    )
    assert not any("upgrade[" in line for line in lines)


def test_skip_versions_and_severity_warn(pytester: pytest.Pytester) -> None:
    _two_versions(pytester)
    result = pytester.runpytest(
        "--acodb-check-migrations",
        "--acodb-migrations=migrations",
        "--acodb-skip-versions=2",
        "--acodb-severity=no_trace=warn",
        "-rA",
    )
    assert result.ret == 0, result.stdout.str()
    assert not any("[2]" in line for line in result.stdout.lines)
    assert "AcodbWarning" in result.stdout.str()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--acodb-check-kinds=roundtrip",), "unknown kind(s) roundtrip"),
        (("--acodb-severity=fk_index=loud",), "must be NAME=error, NAME=warn or NAME=off"),
        (("--acodb-skip-versions=two",), "give whole numbers (migration versions"),
    ],
)
def test_bad_selection_is_a_usage_error(
    pytester: pytest.Pytester, args: tuple[str, ...], message: str
) -> None:
    result = pytester.runpytest("--acodb-check-migrations", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr.str()


def test_model_drift_from_ini(pytester: pytest.Pytester) -> None:
    directory = pytester.mkdir("migrations")
    (directory / "1_users.sql").write_text(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n"
    )
    pytester.makepyfile(
        app_models="""
        from sqlalchemy import Integer, String
        from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

        class Base(DeclarativeBase):
            pass

        class User(Base):
            __tablename__ = "users"
            id: Mapped[int] = mapped_column(Integer, primary_key=True)
            name: Mapped[str | None] = mapped_column(String)
            email: Mapped[str] = mapped_column(String)
    """
    )
    pytester.makeini("[pytest]\nacodb_metadata = app_models:Base.metadata\npythonpath = .\n")
    result = pytester.runpytest(
        "--acodb-check-migrations", "--acodb-migrations=migrations", "-k", "models_match"
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    output = result.stdout.str()
    assert "users.name: model says NULL, schema says NOT NULL" in output
    assert "users.email is in the model but not the schema" in output


def test_a_simple_migration_skips_round_trip_saying_how_sqlx_pairs_a_down(
    pytester: pytest.Pytester,
) -> None:
    directory = pytester.mkdir("migrations")
    (directory / "1_notes.sql").write_text("CREATE TABLE notes (id INTEGER PRIMARY KEY);\n")
    pytester.makeini("[pytest]\nacodb_migrations = migrations\n")
    result = pytester.runpytest("--acodb-check-migrations", "-rs", "-k", "round_trip")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(
        ["*no down script (to have one: rename 1_notes.sql to 1_notes.up.sql and add *down.sql)*"]
    )
