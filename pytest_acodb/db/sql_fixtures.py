"""SQL fixture files, as ``#[sqlx::test(fixtures(...))]`` has them: scripts of rows applied to a
test's database before the test, in the order given.

A name without a path (``"users"``) is ``fixtures/users.sql`` beside the test's source file,
as sqlx resolves it, else ``users.sql`` in the project-wide folder (ini ``acodb_fixtures``); a
name with a ``/`` or ending in ``.sql`` is a path relative to the test's source file (absolute
paths too). All the files of one test are applied in one transaction, statement by statement,
so a failing statement leaves none of them behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import SqlFixtureError
from ..migrate.sql import split_statements
from . import driver as drivers

FOLDER = "fixtures"
"""The folder beside a test's source file where sqlx looks for fixture scripts."""


def resolve_fixtures(
    names: Sequence[str], test_dir: Path, project_dir: Path | None = None
) -> list[Path]:
    """The files of ``names``, in order (see the module for the rules). Raises
    :class:`~pytest_acodb.errors.SqlFixtureError` naming every place looked in when one is
    missing."""
    paths = []
    for name in names:
        if "/" in name or "\\" in name or name.endswith(".sql"):
            candidates = [test_dir / name]
        else:
            candidates = [test_dir / FOLDER / f"{name}.sql"]
            if project_dir is not None:
                candidates.append(project_dir / f"{name}.sql")
        found = next((c for c in candidates if c.is_file()), None)
        if found is None:
            looked = " or ".join(str(c) for c in candidates)
            raise SqlFixtureError(
                name,
                f"no such file (looked for {looked}); create it, or set the ini key "
                "acodb_fixtures to the folder that holds it",
            )
        paths.append(found.resolve())
    return paths


def apply_fixtures(conn: Any, paths: Sequence[Path], name_of: dict[Path, str]) -> None:
    """Run every statement of ``paths`` on ``conn`` (a DB-API connection in autocommit mode,
    ``isolation_level=None``) inside one transaction (a ``SAVEPOINT`` when ``conn`` is already in
    one), and commit it (release the savepoint). On a failure everything is rolled back and
    :class:`~pytest_acodb.errors.SqlFixtureError` names the file, line and statement; a script
    that ends the transaction itself (``COMMIT``) is refused the same way."""
    nested = conn.in_transaction
    conn.execute("SAVEPOINT acodb_fixtures" if nested else "BEGIN")
    try:
        for path in paths:
            _apply_file(conn, path, name_of.get(path, path.name))
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK TO acodb_fixtures" if nested else "ROLLBACK")
            if nested:
                conn.execute("RELEASE acodb_fixtures")
        raise
    conn.execute("RELEASE acodb_fixtures" if nested else "COMMIT")


def _apply_file(conn: Any, path: Path, name: str) -> None:
    try:
        sql = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SqlFixtureError(name, f"cannot read it ({error})", path=path) from None
    for statement in split_statements(sql):
        try:
            conn.execute(statement.text)
        except drivers.Error as error:
            raise SqlFixtureError(
                name,
                f"{error}; fix the fixture (nothing of this test's fixtures was applied)",
                path=path,
                line=statement.line,
                statement=statement.text,
            ) from None
        if not conn.in_transaction:
            raise SqlFixtureError(
                name,
                "the statement ended the transaction the fixtures run in; remove "
                "transaction control (BEGIN, COMMIT, ROLLBACK) from fixture files",
                path=path,
                line=statement.line,
                statement=statement.text,
            )
