"""Values users supply per ``table.column`` (issue 12, item 7): the ``acodb_values`` ini key, the
``pytest_acodb_values`` hook and the ``acodb_values`` fixture, as users run them; and the
:class:`~pytest_acodb.synth.values.ValueProviders` they become."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_acodb.errors import AcodbError
from pytest_acodb.synth.values import ValueProviders, literal

# A CHECK no candidate mined from the expression meets: it compares with a computed value.
TOKENS = (
    "CREATE TABLE tokens (id INTEGER PRIMARY KEY,\n"
    "  kind TEXT NOT NULL CHECK (kind IN ('a', 'b')),\n"
    "  token TEXT NOT NULL CHECK (token = lower(hex(zeroblob(8)))));\n"
)
ZEROS = "0" * 16


def _migrations(pytester: pytest.Pytester) -> Path:
    directory = pytester.mkdir("migrations")
    (directory / "1_tokens.up.sql").write_text(TOKENS)
    (directory / "1_tokens.down.sql").write_text("DROP TABLE tokens;\n")
    return directory


ARGS = ("--acodb-check-migrations", "--acodb-migrations=migrations", "-rs", "-k", "constraint")


def test_without_values_the_check_skips_naming_the_constraint(pytester: pytest.Pytester) -> None:
    _migrations(pytester)
    result = pytester.runpytest(*ARGS)
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*CHECK (token = lower(hex(zeroblob(8))))*supply values*"])


def test_ini_values_reach_the_checks(pytester: pytest.Pytester) -> None:
    _migrations(pytester)
    pytester.makeini(f"[pytest]\nacodb_values =\n    tokens.token = '{ZEROS}'\n")
    pytester.runpytest(*ARGS).assert_outcomes(passed=1)


def test_the_hook_reaches_the_checks_and_acodb_rows(pytester: pytest.Pytester) -> None:
    _migrations(pytester)
    pytester.makeconftest(
        f"""
        def pytest_acodb_values(config):
            return {{"tokens.token": "{ZEROS}", "*.kind": lambda n: "ab"[n % 2]}}
        """
    )
    pytester.makepyfile(
        """
        def test_rows(acodb_rows):
            rows = [acodb_rows.insert("tokens") for _ in range(4)]
            assert {r["kind"] for r in rows} == {"a", "b"}
        """
    )
    result = pytester.runpytest(
        "--acodb-check-migrations", "--acodb-migrations=migrations", "-k", "constraint or rows"
    )
    result.assert_outcomes(passed=2)


def test_the_fixture_is_an_override_point_for_acodb_rows(pytester: pytest.Pytester) -> None:
    _migrations(pytester)
    pytester.makeconftest(
        f"""
        import pytest
        from pytest_acodb.synth.values import ValueProviders

        @pytest.fixture(scope="session")
        def acodb_values():
            return ValueProviders({{"tokens.token": "{ZEROS}"}})
        """
    )
    pytester.makepyfile(
        """
        def test_rows(acodb_rows):
            assert acodb_rows.insert("tokens", kind="a")["token"] == "0" * 16
        """
    )
    pytester.runpytest("--acodb-migrations=migrations").assert_outcomes(passed=1)


def test_a_bad_ini_line_is_a_usage_error(pytester: pytest.Pytester) -> None:
    # The line is named by its number, not its text: what follows a key may be a secret.
    pytester.makeini("[pytest]\nacodb_values =\n    a.b = 1\n    tokens_token SEKRET\n")
    result = pytester.runpytest("--acodb-check-migrations")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "acodb_values line 2 " in result.stderr.str()
    assert "write table.column = value" in result.stderr.str()
    assert "SEKRET" not in result.stdout.str() + result.stderr.str()


def test_providers_look_up_exact_keys_before_wildcards() -> None:
    values = ValueProviders({"*.n": 1, "T.N": 2, "t.f": lambda: "x", "t.g": lambda n: n * 2})
    assert values.value("t", "n", 0) == 2 and values.value("other", "N", 0) == 1
    assert values.value("t", "f", 5) == "x" and values.value("t", "g", 5) == 10
    assert not values.supplies("t", "missing") and len(values) == 4
    assert "lambda" not in repr(values)  # the keys only: values may be secrets
    with pytest.raises(KeyError):
        values.value("t", "missing", 0)
    with pytest.raises(AcodbError, match=r"table\.column"):
        ValueProviders({"no_dot": 1})


def test_an_option_holds_one_value_commas_and_equals_signs_included(
    pytester: pytest.Pytester,
) -> None:
    # --acodb-value takes one value: "a=b,c.d=e" is not cut into a second key (which a warning
    # would name, printing a piece of what may be a secret); an ini line may hold several.
    pytester.makepyfile(
        """
def test_rows(acodb_rows):
    row = acodb_rows.insert("configurations", is_secret=1)
    assert row["value"] == "SEKRET,p.ss=word"
    assert acodb_rows.insert("tasks")["title"] == "it's"
"""
    )
    result = pytester.runpytest(
        "--acodb-value=configurations.value=SEKRET,p.ss=word",
        "--acodb-value=tasks.title='it''s'",
        "-W",
        "always",
    )
    result.assert_outcomes(passed=1)
    assert "p.ss" not in result.stdout.str()


def test_keys_compare_as_sqlite_names_do_ascii_case_only() -> None:
    values = ValueProviders({"CAFÉ.b": 1, "Users.Email": 2})
    assert values.supplies("CAFÉ", "B") and values.supplies("users", "EMAIL")
    assert not values.supplies("café", "b")  # two tables to SQLite
    assert values.unmatched({"café": ["b"], "users": ["email"]}) == ["CAFÉ.b"]


def test_unmatched_keys_are_those_naming_no_column() -> None:
    values = ValueProviders(
        {"T.N": 1, "t.nope": 2, "other.n": 3, "*.N": 4, "*.nowhere": 5, " u . m ": 6}
    )
    columns = {"t": ["n", "m"], "u": ["M"]}
    assert values.unmatched(columns) == ["t.nope", "other.n", "*.nowhere"]
    assert ValueProviders({"*.x": 1}).unmatched({}) == ["*.x"]


def test_a_key_setting_no_column_is_warned_about_once_per_run(pytester: pytest.Pytester) -> None:
    # A misspelt key would leave the rows with synthesised values, unnoticed: each key that
    # sets no column of the test's database is warned about once in the run, at the test, with
    # the closest column (case and *.column keys included); keys that match say nothing, nor
    # does a test at an older version (target=), whose database lacks later columns.
    pytester.makeini(
        "[pytest]\nacodb_values =\n    TASKS.TITEL = 'x'\n    tasks.titel = 'y'\n"
        "    *.tool_nme = 1\n    *.nowhere_at_all = 1\n    tasks.status = 'pending'\n"
        "    *.TOOL_NAME = tn\n    *.chcksum = 1\n"
    )
    pytester.makepyfile(
        test_supplied="""
import pytest

@pytest.mark.acodb(target=20250115000007)  # the head: the same schema, so the same factories
def test_at_the_head_version(acodb_factories, acodb_session):
    assert acodb_factories.TaskFactory().status == "pending"

@pytest.mark.acodb(target=20250115000001)
def test_older_version(acodb_factories, acodb_session):
    assert acodb_factories["tasks"]().status == "pending"

@pytest.mark.parametrize("n", [1, 2])
def test_factories(acodb_factories, acodb_session, n):
    assert acodb_factories.TaskFactory().status == "pending"

def test_rows(acodb_rows):
    assert acodb_rows.insert("tasks")["status"] == "pending"
"""
    )
    result = pytester.runpytest("-p", "no:randomly", "-W", "always")
    result.assert_outcomes(passed=5, warnings=4)
    text = result.stdout.str()
    assert text.count("'TASKS.TITEL' sets no column") == 1 and "'tasks.titel'" not in text
    assert "did you mean 'tasks.title'?" in text
    assert "'*.chcksum' sets no column" in text and "checksum'?" not in text  # _sqlx_migrations
    assert "'*.tool_nme' sets no column" in text and "did you mean '*.tool_name'?" in text
    assert "'*.nowhere_at_all' sets no column" in text and "check the table and column" in text
    assert "TOOL_NAME' sets" not in text and "status' sets" not in text
    assert "test_supplied.py:" in text and "fixtures.py:" not in text  # reported at the test


def test_virtual_and_generated_columns(pytester: pytest.Pytester) -> None:
    # A virtual table's columns take supplied values (no warning); a generated column's key is
    # warned about, since SQLite computes the column; an override of acodb_values returning a
    # plain dict works as well.
    d = pytester.mkdir("migrations")
    (d / "1_t.sql").write_text(
        "CREATE VIRTUAL TABLE docs USING fts5(body);\n"
        "CREATE TABLE g (id INTEGER PRIMARY KEY, n INTEGER NOT NULL,"
        " doubled INTEGER GENERATED ALWAYS AS (n * 2));\n"
        # Two tables to SQLite, which folds the case of ASCII letters only.
        'CREATE TABLE "café" (id INTEGER PRIMARY KEY, a TEXT NOT NULL);\n'
        'CREATE TABLE "CAFÉ" (id INTEGER PRIMARY KEY, b TEXT NOT NULL);\n'
    )
    pytester.makeconftest(
        """
import pytest

@pytest.fixture(scope="session")
def acodb_values():
    return {"docs.body": "BODY", "g.doubled": 99, "g.n": 5, "café.a": "A", "CAFÉ.b": "B"}
"""
    )
    pytester.makepyfile(
        """
def test_rows(acodb_rows):
    assert acodb_rows.insert("docs")["body"] == "BODY"
    assert acodb_rows.insert("g")["n"] == 5
    assert acodb_rows.insert("café")["a"] == "A" and acodb_rows.insert("CAFÉ")["b"] == "B"

def test_factories(acodb_factories, acodb_session):
    assert acodb_factories["g"]().n == 5
"""
    )
    result = pytester.runpytest("--acodb-migrations=migrations", "-W", "always")
    result.assert_outcomes(passed=2, warnings=1)
    result.stdout.fnmatch_lines(["*'g.doubled' sets no column*g.doubled is a generated*"])
    assert "docs.body' sets" not in result.stdout.str()


def test_factories_follow_a_directorys_override_of_acodb_values(pytester: pytest.Pytester) -> None:
    # The factories made for one schema are kept per acodb_values too: a conftest overriding it
    # for its directory gets factories with its own values, not those of the first directory.
    for name, title in (("a", "from a"), ("b", "from b")):
        pytester.mkpydir(name)
        (pytester.path / name / "conftest.py").write_text(
            "import pytest\nfrom pytest_acodb.synth.values import ValueProviders\n\n"
            "@pytest.fixture(scope='session')\n"
            f"def acodb_values():\n    return ValueProviders({{'tasks.title': {title!r}}})\n"
        )
        (pytester.path / name / f"test_{name}.py").write_text(
            f"def test_it(acodb_factories, acodb_session):\n"
            f"    assert acodb_factories.TaskFactory().title == {title!r}\n"
        )
    pytester.makepyfile(
        test_top="""
def test_it(acodb_factories, acodb_session):
    assert acodb_factories.TaskFactory().title not in ("from a", "from b")
"""
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=3)


@pytest.mark.parametrize(
    ("text", "value"),
    [("12", 12), ("1.5", 1.5), ("NULL", None), ("'it''s'", "it's"), ("https://x", "https://x")],
)
def test_ini_values_are_read_as_sql_literals(text: str, value: object) -> None:
    assert literal(text) == value


def test_several_values_on_one_ini_line() -> None:
    values = ValueProviders.from_lines(["a.x = 1, b.y = 'two'", "# a comment", ""])
    assert values.value("a", "x", 0) == 1 and values.value("b", "y", 0) == "two"


def test_supplied_values_reach_the_generated_factories(pytester: pytest.Pytester) -> None:
    d = pytester.mkdir("migrations")
    (d / "1_t.sql").write_text(
        "CREATE TABLE tokens (id INTEGER PRIMARY KEY, token TEXT NOT NULL CHECK (token = lower(hex(zeroblob(8)))), kind TEXT NOT NULL);\n"
    )
    pytester.makeini(
        "[pytest]\nacodb_migrations = migrations\nacodb_values =\n    tokens.token = '0000000000000000'\n    *.kind = api\n"
    )
    pytester.makepyfile("""
def test_it(acodb_factories, acodb_session):
    rows = acodb_factories["tokens"].create_batch(3)
    assert [r.token for r in rows] == ['0000000000000000'] * 3
    assert {r.kind for r in rows} == {'api'}
    assert acodb_factories["tokens"](kind='web').kind == 'web'
""")
    pytester.runpytest().assert_outcomes(passed=1)


def test_supplied_values_reach_the_bundled_factories(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nacodb_values =\n    tasks.title = 'fixed title'\n")
    pytester.makepyfile("""
def test_it(acodb_factories, acodb_session):
    t = acodb_factories.TaskFactory()
    assert t.title == 'fixed title'
""")
    pytester.runpytest("-p", "pytest_acodb").assert_outcomes(passed=1)


def test_a_supplied_column_with_another_attribute_name_reaches_the_bundled_factory(
    pytester: pytest.Pytester,
) -> None:
    """tasks.metadata is the model's ``metadata_`` attribute (SQLAlchemy reserves the name), and
    the stored JSON text a supplied value is reads as the model's dict."""
    pytester.makeini('[pytest]\nacodb_values =\n    tasks.metadata = \'{"team": "core"}\'\n')
    pytester.makepyfile(
        """
        from sqlalchemy import text

        def test_it(acodb_factories, acodb_session):
            task = acodb_factories.TaskFactory()
            assert task.metadata_ == {"team": "core"}
            stored = acodb_session.execute(text("SELECT metadata FROM tasks")).scalar()
            assert stored.replace(" ", "") == '{"team":"core"}'
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)
