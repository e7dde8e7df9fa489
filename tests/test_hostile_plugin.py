"""Hostile inputs at the pytest door (issue 15): each answered in one line, nothing leaked.

Every test runs pytest as users do (``pytester``) and asserts what the user sees.
"""

from __future__ import annotations

import os
import stat
import tempfile
import time

import pytest

SECRET = "s3cr3t-api-key-value"

INSERT_SECRET = f"""
from sqlalchemy import text

def _insert(conn):
    conn.execute(text(
        "INSERT INTO configurations (key, value, value_type, is_secret) "
        "VALUES ('api_key', '{SECRET}', 'string', 1)"
    ))
"""


@pytest.mark.parametrize("keep", [False, True], ids=["blanked", "kept"])
def test_kept_databases_are_private_and_blank_secrets(
    pytester: pytest.Pytester, keep: bool
) -> None:
    pytester.makepyfile(
        INSERT_SECRET
        + """
def test_fails(acodb_connection):
    _insert(acodb_connection)
    acodb_connection.commit()
    assert False
"""
    )
    args = ["--acodb-keep-failed", "--tb=short"] + (["--acodb-keep-secrets"] if keep else [])
    result = pytester.runpytest(*args)
    result.assert_outcomes(failed=1)
    (kept,) = (pytester.path / ".pytest_cache" / "d" / "acodb-failed").glob("*.sqlite")
    assert stat.S_IMODE(os.stat(kept).st_mode) == 0o600
    import sqlite3

    conn = sqlite3.connect(kept)
    (value,) = conn.execute("SELECT value FROM configurations WHERE key = 'api_key'").fetchone()
    conn.close()
    assert value == (SECRET if keep else "***")
    assert SECRET not in result.stdout.str()
    text = "secret configuration values are replaced by '***'"
    assert (text in result.stdout.str()) is not keep


def test_kept_databases_of_look_alike_node_ids_do_not_collide(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("x", ["a/b", "a_b"])
        def test_fails(acodb_db, x):
            conn = acodb_db.connect()
            conn.execute("INSERT INTO configurations (key, value, value_type, is_secret) "
                         "VALUES (?, '1', 'integer', 0)", (x,))
            conn.close()
            assert False
        """
    )
    pytester.runpytest("--acodb-keep-failed").assert_outcomes(failed=2)
    kept = list((pytester.path / ".pytest_cache" / "d" / "acodb-failed").glob("*.sqlite"))
    assert len(kept) == 2


def test_keep_failed_with_a_broken_cache_falls_back_with_one_warning(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The fallback is a new temporary directory, kept for the user: make it inside this test's.
    scratch = pytester.mkdir("tmp")
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    # Garbage where pytest's cache wants a directory.
    (pytester.path / ".pytest_cache" / "d").mkdir(parents=True)
    (pytester.path / ".pytest_cache" / "d" / "acodb-failed").write_text("garbage")
    pytester.makepyfile("def test_fails(acodb_db):\n    assert False\n")
    result = pytester.runpytest("--acodb-keep-failed", "-W", "default")
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    assert "INTERNALERROR" not in output
    assert output.count("cache directory cannot be used") == 1
    result.stdout.fnmatch_lines(["*database kept at *acodb-failed-*"])
    assert [p.name[: len("acodb-failed-")] for p in scratch.iterdir()] == ["acodb-failed-"]


def test_reuse_template_with_an_unusable_cache_falls_back(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_ok(acodb_db):\n    pass\n")
    pytester.runpytest("--acodb-reuse-template").assert_outcomes(passed=1)
    lock = next((pytester.path / ".pytest_cache").rglob("template.lock"))
    lock.unlink()
    lock.mkdir()  # a lock file that cannot be opened
    result = pytester.runpytest("--acodb-reuse-template", "-W", "default")
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(["*--acodb-reuse-template: cannot use the template cache*"])


SECRET_ROWS = (
    INSERT_SECRET
    + """
from pytest_acodb.acolib.models import Configuration

SECRET = None

def test_core_row(acodb_connection):
    _insert(acodb_connection)
    row = acodb_connection.execute(text("SELECT * FROM configurations")).one()
    assert row == ("api_key", "other", "string", None, 1, None, None)

def test_mapping(acodb_connection):
    _insert(acodb_connection)
    row = dict(acodb_connection.execute(text("SELECT * FROM configurations")).mappings().one())
    assert row == {"key": "api_key"}

def test_rows_insert(acodb_rows):
    row = acodb_rows.insert("configurations", value=SECRET, is_secret=1, value_type="string")
    assert row == {}

def test_flipped_model(acodb_session):
    _insert(acodb_session.connection())
    model = acodb_session.get(Configuration, "api_key")
    model.is_secret = False  # flipped in memory, still a secret in the database
    assert model == "anything"
""".replace("SECRET = None", f"SECRET = {SECRET!r}")
)


@pytest.mark.parametrize("verbosity", ["--tb=short", "-vv"])
def test_secrets_stay_out_of_assertion_explanations(
    pytester: pytest.Pytester, verbosity: str
) -> None:
    pytester.makepyfile(SECRET_ROWS)
    result = pytester.runpytest(verbosity, "--tb=short")
    result.assert_outcomes(failed=4)
    assert SECRET not in result.stdout.str()
    assert result.stdout.str().count("configuration values are hidden") >= 4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--acodb-seed=\u00b2",), "acodb_seed = '\u00b2': give one whole number"),
        (("--acodb-seed=-1",), "acodb_seed = '-1': give one whole number"),
    ],
)
def test_bad_seed_is_a_usage_error(
    pytester: pytest.Pytester, args: tuple[str, ...], message: str
) -> None:
    result = pytester.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr.str()
    assert "Traceback" not in result.stderr.str()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (".x:y", "cannot import .x: TypeError"),
        ("exploding_models:Base.metadata", "cannot import exploding_models: RuntimeError: boom"),
    ],
)
def test_bad_metadata_module_fails_its_item_in_one_line(
    pytester: pytest.Pytester, spec: str, message: str
) -> None:
    pytester.makepyfile(exploding_models="raise RuntimeError('boom')\n")
    pytester.syspathinsert()
    result = pytester.runpytest(
        "--acodb-check-migrations", f"--acodb-metadata={spec}", "-k", "models_match"
    )
    result.stdout.fnmatch_lines([f"*{message}*"])
    assert "Traceback" not in result.stdout.str()
    assert result.parseoutcomes()["failed"] == 1


def test_an_empty_migrations_directory_fails_the_gate(pytester: pytest.Pytester) -> None:
    pytester.mkdir("migrations")
    (pytester.path / "migrations" / "README.md").write_text("nothing here yet\n")
    result = pytester.runpytest("--acodb-check-migrations", "--acodb-migrations=migrations")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        ["*source[[]migrations[]]*holds no migrations*nothing was checked*"]
    )


REPLAY = """
from pytest_acodb.acolib.factories import TaskFactory

def test_a(acodb_session):
    print("DATA", TaskFactory().id, TaskFactory().title)

def test_b(acodb_session):
    print("DATA", TaskFactory().id)
"""


def test_seed_replays_under_pytest_randomly(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pytest-randomly reseeds factory_boy and Faker itself, differently in every run.
    monkeypatch.setenv("PYTEST_ADDOPTS", "-p no:hypothesispytest -p no:xdist")
    pytester.makepyfile(REPLAY)

    def data(randomly_seed: str) -> list[str]:
        result = pytester.runpytest(
            "-s", "--acodb-seed=42", f"--randomly-seed={randomly_seed}", "-p", "no:cacheprovider"
        )
        result.assert_outcomes(passed=2)
        return sorted(line[line.index("DATA") :] for line in result.stdout.lines if "DATA" in line)

    first, second = data("1"), data("2")
    assert len(first) == 2 and first == second


def test_acodb_rows_timestamps_replay_with_the_seed(pytester: pytest.Pytester) -> None:
    """Issue 15 item 22: a column whose DEFAULT reads the clock takes the pinned "now", so the
    same --acodb-seed gives the same stored timestamps in every run."""
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.acodb(isolation="clone")
        def test_rows(acodb_rows):
            task = acodb_rows.insert("tasks")
            config = acodb_rows.insert("configurations")
            with open("stamps.txt", "w") as out:
                out.write(" ".join([task["created_at"], task["updated_at"], config["updated_at"]]))
        """
    )

    def stamps() -> list[str]:
        result = pytester.runpytest("--acodb-seed=77")
        result.assert_outcomes(passed=1)
        return (pytester.path / "stamps.txt").read_text().split()

    first = stamps()
    time.sleep(0.01)
    assert stamps() == first
    assert first[0].startswith("2025-") and first[0].endswith("Z")  # the default's own format


def test_a_bad_marker_on_a_test_without_database_fixtures_fails(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.acodb(isolation="nope")
        def test_x():
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)  # at setup, as for a test that takes a database fixture
    result.stdout.fnmatch_lines(["*isolation*nope*"])
    assert "Traceback" not in result.stdout.str()


@pytest.mark.parametrize("option", ["--acodb-skip-versions", "--acodb-irreversible"])
def test_a_listed_version_that_is_no_migration_fails_source(
    pytester: pytest.Pytester, option: str
) -> None:
    result = pytester.runpytest("--acodb-check-migrations", f"{option}=99", "-k", "source")
    result.assert_outcomes(failed=1)
    setting = option.removeprefix("--").replace("-", "_")
    result.stdout.fnmatch_lines([f"*{setting} lists 99, which is no migration of this directory*"])
