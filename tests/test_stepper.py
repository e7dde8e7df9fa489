"""Stepping a database through migrations for data-migration tests (engine level)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_acodb.db.connect import connect
from pytest_acodb.errors import MigrateError, NothingToMigrateError, TargetNotFoundError
from pytest_acodb.migrate import resolve
from pytest_acodb.migrate.stepper import Stepper


@pytest.fixture
def stepper(tmp_path: Path) -> Stepper:
    files = {
        "1_users.up.sql": "CREATE TABLE users (id INTEGER PRIMARY KEY, full_name TEXT NOT NULL);",
        "1_users.down.sql": "DROP TABLE users;",
        "2_split_names.up.sql": (
            "ALTER TABLE users ADD COLUMN first_name TEXT;\n"
            "UPDATE users SET first_name = substr(full_name, 1, instr(full_name, ' ') - 1);\n"
        ),
        "2_split_names.down.sql": "ALTER TABLE users DROP COLUMN first_name;",
        "3_broken.up.sql": "UPDATE nowhere SET x = 1;",
        "3_broken.down.sql": "SELECT 1;",
    }
    for name, sql in files.items():
        (tmp_path / name).write_text(sql)
    return Stepper(resolve(tmp_path), connect(":memory:"))


def test_data_migration_step_by_step(stepper: Stepper) -> None:
    assert stepper.version is None
    assert [m.version for m in stepper.up()] == [1]
    stepper.conn.execute("INSERT INTO users (full_name) VALUES ('Ada Lovelace')")
    stepper.up()
    assert stepper.version == 2
    assert stepper.conn.execute("SELECT first_name FROM users").fetchone() == ("Ada",)
    assert [m.version for m in stepper.down()] == [2]
    assert stepper.conn.execute("SELECT * FROM users").fetchall() == [(1, "Ada Lovelace")]


def test_to_moves_both_ways_and_failures_leave_the_state(stepper: Stepper) -> None:
    stepper.to(2)
    assert stepper.applied == [1, 2]
    with pytest.raises(MigrateError, match="no such table: nowhere"):
        stepper.up()
    assert stepper.version == 2
    stepper.to(0)
    assert stepper.applied == []
    with pytest.raises(TargetNotFoundError, match="migration 9 is not present"):
        stepper.to(9)
    with pytest.raises(NothingToMigrateError, match="nothing to migrate down"):
        stepper.down()
