"""The test databases run on the SQLite sqlx bundles, with the application's extensions.

Real drivers (``sqlean-py`` and the standard library's ``sqlite3``), real extension packages from
the index (``sqlite-vec``, ``sqlite-ulid``), real pytest runs.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pytest

from pytest_acodb.db import driver as drivers
from pytest_acodb.db.connect import Connector
from pytest_acodb.errors import DriverError, ExtensionError

DRIVERS = ["sqlean", "sqlite3"]


def test_the_default_driver_is_as_new_as_sqlx() -> None:
    driver = drivers.load()
    assert driver.name == "sqlean"
    assert driver.sqlite_version_info >= drivers.SQLX_SQLITE
    assert driver.can_load_extensions
    assert not driver.older_than_sqlx


def test_an_unknown_driver_is_a_one_line_error() -> None:
    with pytest.raises(DriverError, match="unknown SQLite driver; choose one of sqlean"):
        drivers.load("apsw")


@pytest.mark.parametrize("name", DRIVERS)
def test_every_connection_gets_sqlx_settings(name: str) -> None:
    connector = Connector(drivers.load(name))
    conn = connector.connect(":memory:")
    settings = [
        conn.execute(f"PRAGMA {p}").fetchone()[0]
        for p in ("foreign_keys", "recursive_triggers", "trusted_schema")
    ]
    assert settings == [1, 0, 1]
    engine = connector.create_engine("sqlite+pysqlite://")
    with engine.connect() as connection:
        raw = connection.connection.driver_connection
        assert raw is not None and type(raw).__module__.startswith(drivers.DRIVERS[name])
        assert raw.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert raw.execute("PRAGMA recursive_triggers").fetchone()[0] == 0
    engine.dispose()


SETTINGS_TEST = """
from sqlalchemy import text

def _settings(run):
    return [run(f"PRAGMA {p}") for p in ("foreign_keys", "recursive_triggers", "trusted_schema")]

def test_settings_everywhere(acodb_session, acodb_db, acodb_migrator, acodb_connector):
    assert acodb_connector.driver.name == "{driver}"
    assert _settings(lambda s: acodb_session.execute(text(s)).scalar()) == [1, 0, 1]
    raw = acodb_db.connect()
    assert _settings(lambda s: raw.execute(s).fetchone()[0]) == [1, 0, 1]
    raw.close()
    assert _settings(lambda s: acodb_migrator.conn.execute(s).fetchone()[0]) == [1, 0, 1]
"""


@pytest.mark.parametrize("driver", DRIVERS)
@pytest.mark.parametrize("backend", ["memory", "file"])
def test_every_fixture_connection_gets_sqlx_settings(
    pytester: pytest.Pytester, driver: str, backend: str
) -> None:
    pytester.makepyfile(SETTINGS_TEST.replace("{driver}", driver))
    result = pytester.runpytest(f"--acodb-sqlite-driver={driver}", f"--acodb-backend={backend}")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"acodb: *SQLite {driver} 3.*"])


EXTENSION_MIGRATIONS = {
    "1_docs.up.sql": (
        "CREATE TABLE docs (\n"
        "    id TEXT PRIMARY KEY NOT NULL DEFAULT (ulid()),\n"
        "    title TEXT NOT NULL,\n"
        "    slug TEXT,\n"
        "    embedding BLOB\n"
        ");\n"
        "CREATE TRIGGER docs_dims BEFORE INSERT ON docs WHEN NEW.embedding IS NOT NULL\n"
        "BEGIN\n"
        "    SELECT RAISE(ABORT, 'embedding dims') WHERE vec_length(NEW.embedding) != 3;\n"
        "END;\n"
        "INSERT INTO docs (title, embedding) VALUES ('First Doc', '[1, 2, 3]');\n"
    ),
    "1_docs.down.sql": "DROP TRIGGER docs_dims;\nDROP TABLE docs;\n",
    "2_slugs.up.sql": "UPDATE docs SET slug = slugify(title);\n",
    "2_slugs.down.sql": "UPDATE docs SET slug = NULL;\n",
    "3_stamped.up.sql": (
        "CREATE TABLE stamps (id TEXT PRIMARY KEY NOT NULL, doc_id TEXT NOT NULL "
        "REFERENCES docs(id) ON DELETE CASCADE);\n"
        "INSERT INTO stamps SELECT ulid_with_datetime('2024-01-01 00:00:00.000'), id FROM docs;\n"
    ),
    "3_stamped.down.sql": "DROP TABLE stamps;\n",
}

SLUGIFY_CONFTEST = """
def pytest_acodb_connect(connection):
    connection.create_function(
        "slugify", 1, lambda s: None if s is None else s.lower().replace(" ", "-"),
        deterministic=True,
    )
"""


def _extension_project(pytester: pytest.Pytester) -> None:
    directory = pytester.mkdir("migrations")
    for name, text in EXTENSION_MIGRATIONS.items():
        (directory / name).write_text(text)
    pytester.makeini(
        "[pytest]\n"
        "acodb_migrations = migrations\n"
        "acodb_sqlite_extensions =\n"
        "    sqlite_vec\n"
        "    sqlite_ulid\n"
    )
    pytester.makeconftest(SLUGIFY_CONFTEST)
    pytester.makepyfile(
        """
        from sqlalchemy import text

        def test_the_application_functions_work(acodb_session):
            assert acodb_session.execute(text("SELECT slug FROM docs")).scalar() == "first-doc"
            assert acodb_session.execute(text("SELECT vec_length('[1, 2]')")).scalar() == 2
        """
    )


def test_extensions_and_hooked_functions_pass_every_check(pytester: pytest.Pytester) -> None:
    _extension_project(pytester)
    result = pytester.runpytest("--acodb-check-migrations", "-rA")
    outcomes = result.parseoutcomes()
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    assert "failed" not in outcomes and "errors" not in outcomes
    result.stdout.fnmatch_lines(["acodb: *extensions sqlite_vec, sqlite_ulid*"])
    passed = {line.split()[1] for line in result.stdout.lines if line.startswith("PASSED")}
    for item in (
        "acodb::upgrade[1]",
        "acodb::upgrade[3]",
        "acodb::round_trip[1]",
        "acodb::round_trip[2]",
        "acodb::no_trace[all]",
        "acodb::data_survives[2]",
        "acodb::data_survives[3]",
        "acodb::lost_objects[3]",
        "acodb::cascade[stamps.doc_id]",
        "test_extensions_and_hooked_functions_pass_every_check.py::"
        "test_the_application_functions_work",
    ):
        assert item in passed, (item, result.stdout.str())


def test_extensions_on_a_driver_that_cannot_load_them_are_one_line(
    pytester: pytest.Pytester,
) -> None:
    if hasattr(sqlite3.Connection, "enable_load_extension"):
        expected = "*SQLite extension 'sqlite_vec'*"
    else:  # this machine's CPython, as the issue describes it
        expected = "*SQLite extension 'sqlite_vec': the sqlite3 driver *cannot load extensions*"
    _extension_project(pytester)
    result = pytester.runpytest("--acodb-sqlite-driver=sqlite3", "--acodb-check-migrations")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([expected])
    assert "Traceback" not in result.stderr.str() + result.stdout.str()
    assert len([line for line in result.stderr.lines if line.strip()]) == 1


def test_a_missing_extension_names_what_to_install(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x(acodb_db):\n    pass\n")
    result = pytester.runpytest("--acodb-sqlite-extension=sqlite_nonesuch")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*SQLite extension 'sqlite_nonesuch': cannot import it*install the package*"]
    )


def test_a_library_path_that_does_not_exist_is_one_line(tmp_path: Path) -> None:
    connector = Connector(drivers.load(), (str(tmp_path / "vec0.so"),))
    with pytest.raises(ExtensionError, match="no such file"):
        connector.check()


NEWER_SQL = {
    "1_hex.sql": "CREATE TABLE keys (id INTEGER PRIMARY KEY, raw BLOB);\n"
    "INSERT INTO keys (raw) VALUES (unhex('cafe'));\n",
    "2_jsonb.sql": "CREATE TABLE docs (id INTEGER PRIMARY KEY, body BLOB);\n"
    "INSERT INTO docs (body) VALUES (jsonb_array(1, 2));\n",
    "3_json5.sql": "CREATE TABLE settings (id INTEGER PRIMARY KEY, value TEXT);\n"
    "INSERT INTO settings (value) VALUES (json('{retries: 3, /* JSON5 */ tags: [1, 2,]}'));\n",
}


def _newer(pytester: pytest.Pytester) -> None:
    directory = pytester.mkdir("migrations")
    for name, text in NEWER_SQL.items():
        (directory / name).write_text(text)
    pytester.makeini("[pytest]\nacodb_migrations = migrations\n")


def test_newer_sqlite_features_pass_on_the_default_driver(pytester: pytest.Pytester) -> None:
    _newer(pytester)
    result = pytester.runpytest("--acodb-check-migrations", "-k", "upgrade or data_survives")
    result.assert_outcomes(passed=6)


@pytest.mark.skipif(
    sqlite3.sqlite_version_info >= (3, 41, 0),
    reason="this Python's own SQLite already has unhex(): nothing older to show",
)
def test_an_older_sqlite_names_both_versions(pytester: pytest.Pytester) -> None:
    _newer(pytester)
    result = pytester.runpytest(
        "--acodb-sqlite-driver=sqlite3", "--acodb-check-migrations", "-k", "upgrade"
    )
    output = " ".join(result.stdout.str().split())
    assert f"this is SQLite {sqlite3.sqlite_version} (driver sqlite3)" in output
    assert "unhex() came in SQLite 3.41.0" in output
    assert "the SQLite sqlx bundles (3.46.0 or newer) has it" in output
    assert "--acodb-sqlite-driver (ini key acodb_sqlite_driver) = sqlean" in output
    assert "fix the SQL" not in output


def test_without_sqlean_the_kit_falls_back_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    drivers.load.cache_clear()
    monkeypatch.setitem(sys.modules, "sqlean.dbapi2", None)  # as if no wheel were installed
    try:
        driver = drivers.load()
        assert driver.name == "sqlite3" and driver.module is sqlite3
        assert driver.fallback is not None and "sqlean-py is not installed" in driver.fallback
        assert "fallback" in driver.describe()
        with pytest.raises(DriverError, match=r"cannot import sqlean\.dbapi2.*install sqlean-py"):
            drivers.load("sqlean")
    finally:
        drivers.load.cache_clear()


def test_engines_the_kit_makes_never_print_bound_values() -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    from pytest_acodb.db.connect import create_engine

    engine = create_engine("sqlite+pysqlite://")
    with engine.connect() as connection:
        connection.execute(text("CREATE TABLE t (v TEXT CHECK (length(v) < 5))"))
        with pytest.raises(IntegrityError) as info:
            connection.execute(text("INSERT INTO t VALUES (:v)"), {"v": "secret-value"})
    assert "secret-value" not in str(info.value)
    assert "hidden due to hide_parameters" in str(info.value)
    engine.dispose()
