"""What keeps ``--acodb-check-migrations`` close to linear in the number of migrations, and that
none of it changes a result: incremental snapshots (:class:`~pytest_acodb.schema.SnapshotCache`),
known snapshots returned as they are, the shared final-state copy (:meth:`Walk.final_copy
<pytest_acodb.checks.walk.Walk.final_copy>`), the health read during the walk and the revert of
the seeded run on its own copy. Over real SQLite; behaviour only, never timings."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from pytest_acodb.checks import Check, plan
from pytest_acodb.checks.migrations import check_upgrade
from pytest_acodb.checks.walk import Walk
from pytest_acodb.db import driver as drivers
from pytest_acodb.errors import CheckFailure, CheckSkipped, SourceError
from pytest_acodb.migrate import resolve
from pytest_acodb.schema import Schema, SnapshotCache, snapshot

HERE = Path(__file__).parent


def _walkable(directory: Path) -> bool:
    """Whether sqlx would read ``directory`` (a few cases are about directories it rejects)."""
    try:
        resolve(directory)
    except SourceError:
        return False
    return True


DIRECTORIES = sorted(
    p
    for base in ("realistic", "cases")
    for p in (HERE / base).iterdir()
    if p.is_dir() and _walkable(p)
)

TRICKY = {
    "1_start": (
        "CREATE TABLE a (id INTEGER PRIMARY KEY, name TEXT UNIQUE,\n"
        "    v TEXT NOT NULL DEFAULT 'x' CHECK (v IN ('x', 'y')));\n"
        "CREATE INDEX a_name ON a(name) WHERE name IS NOT NULL;\n"
        "CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a(id) ON DELETE CASCADE,\n"
        "    note TEXT);\n"
        "CREATE INDEX b_a ON b(a_id);\n"
        "CREATE TRIGGER b_touch AFTER UPDATE OF note ON b BEGIN SELECT 1; END;\n"
        "CREATE VIEW va AS SELECT id, name FROM a;\n"
        "INSERT INTO a (id, name) VALUES (1, 'one');\n"
    ),
    "2_rename_table": "ALTER TABLE a RENAME TO a2;\n",
    "3_rename_column": "ALTER TABLE a2 RENAME COLUMN name TO title;\n",
    "4_add_column": "ALTER TABLE b ADD COLUMN extra TEXT;\n",
    "5_drop_column": "ALTER TABLE b DROP COLUMN extra;\n",
    "6_rebuild": (
        "CREATE TABLE b_new (note TEXT, id INTEGER PRIMARY KEY,\n"
        "    a_id INTEGER REFERENCES a2(id) ON DELETE SET NULL);\n"
        "INSERT INTO b_new (id, a_id, note) SELECT id, a_id, note FROM b;\n"
        "DROP TABLE b;\n"
        "ALTER TABLE b_new RENAME TO b;\n"
        "CREATE INDEX b_a ON b(a_id);\n"
        "CREATE TRIGGER b_touch AFTER UPDATE OF note ON b BEGIN SELECT 1; END;\n"
    ),
    "7_without_rowid": (
        "CREATE TABLE c (k TEXT, n INTEGER, u TEXT UNIQUE, PRIMARY KEY (k, n)) WITHOUT ROWID;\n"
        "CREATE INDEX c_lower ON c(lower(k), n DESC);\n"
    ),
    # The same index text over a table rebuilt with other columns: "y" is a string literal
    # (SQLite's double-quoted string fallback) before, a column after.
    "8_quoted": 'CREATE TABLE d (x TEXT);\nCREATE INDEX d_i ON d("y");\n',
    "9_quoted_rebuild": (
        "CREATE TABLE d2 (x TEXT, y TEXT);\nDROP TABLE d;\nALTER TABLE d2 RENAME TO d;\n"
        'CREATE INDEX d_i ON d("y");\n'
    ),
    "10_drop_view_and_table": "DROP VIEW va;\nDROP TABLE c;\n",
}


def _write(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, sql in files.items():
        (directory / name).write_text(sql)
    return directory


def _assert_same(incremental: Schema, full: Schema) -> None:
    """Equal, with the same order of every mapping and the same SQL text of every table."""
    assert incremental == full
    for kind in ("tables", "indexes", "triggers", "views"):
        assert list(getattr(incremental, kind)) == list(getattr(full, kind)), kind
    assert {n: t.sql for n, t in incremental.tables.items()} == {
        n: t.sql for n, t in full.tables.items()
    }


@pytest.mark.parametrize("directory", DIRECTORIES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_incremental_snapshots_equal_full_snapshots(directory: Path) -> None:
    walk = Walk(resolve(directory))
    for step in [walk.base, *walk.steps]:
        conn = walk.open(step.migration.version if step.migration else None)
        try:
            _assert_same(step.schema, snapshot(conn, exclude=walk.exclude))
        finally:
            conn.close()


def test_incremental_snapshots_follow_renames_rebuilds_and_quoted_names(tmp_path: Path) -> None:
    walk = Walk(resolve(_write(tmp_path / "m", {f"{k}.sql": v for k, v in TRICKY.items()})))
    assert walk.failure is None
    assert len(walk.steps) == len(TRICKY)
    for step in walk.steps:
        assert step.migration is not None
        conn = walk.open(step.migration.version)
        try:
            _assert_same(step.schema, snapshot(conn, exclude=walk.exclude))
        finally:
            conn.close()
    renamed = walk.steps[1].schema
    assert "a2" in renamed.tables and "a" not in renamed.tables
    assert renamed.tables["b"].foreign_keys[0].parent == "a2"
    assert renamed.indexes["a_name"].table == "a2"
    assert renamed.indexes["a_name"].columns == ("title",) or walk.steps[2].schema.indexes[
        "a_name"
    ].columns == ("title",)
    rebuilt = walk.steps[5].schema.tables["b"]
    assert [c.name for c in rebuilt.columns] == ["note", "id", "a_id"]
    assert rebuilt.foreign_keys[0].on_delete == "SET NULL"
    assert walk.steps[7].schema.indexes["d_i"].columns == ("<expr>",)
    assert walk.steps[8].schema.indexes["d_i"].columns == ("y",)


def test_a_shared_cache_gives_what_a_fresh_one_gives_on_any_connection(tmp_path: Path) -> None:
    """One cache over connections holding unrelated databases: objects with the same name but
    other SQL are read again, never taken from the cache."""
    cache = SnapshotCache()
    first, second = sqlite3.connect(":memory:"), sqlite3.connect(":memory:")
    try:
        first.execute("CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT UNIQUE)")
        first.execute("CREATE INDEX t_b ON t(b)")
        second.execute("CREATE TABLE t (b TEXT, a INTEGER PRIMARY KEY)")
        second.execute("CREATE INDEX t_b ON t(b)")
        second.execute("CREATE TEMP TABLE t (shadow TEXT)")  # never read: main only
        for conn in (first, second, first):
            _assert_same(snapshot(conn, cache=cache), snapshot(conn))
        assert [c.name for c in snapshot(second, cache=cache).tables["t"].columns] == ["b", "a"]
    finally:
        first.close()
        second.close()


def test_a_known_snapshot_is_returned_when_nothing_changed(tmp_path: Path) -> None:
    walk = Walk(resolve(_write(tmp_path / "m", {f"{k}.sql": v for k, v in TRICKY.items()})))
    step = walk.steps[-1]
    conn = walk.restore(step.image)  # the last step keeps its image
    try:
        assert walk.snapshot(conn, walk.steps[0].schema, step.schema) is step.schema
        conn.execute("CREATE INDEX extra ON b(note)")
        changed = walk.snapshot(conn, step.schema)
        assert changed is not step.schema
        assert [str(c) for c in step.schema.diff(changed)] == ["index extra was added"]
    finally:
        conn.close()


def _outcomes(checks: list[Check]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for check in checks:
        try:
            check.run()
        except CheckSkipped:
            continue
        except CheckFailure as exc:
            out[check.name] = str(exc)
        else:
            out[check.name] = None
    return out


def test_final_copy_blocks_never_see_each_others_changes(tmp_path: Path) -> None:
    walk = Walk(resolve(_write(tmp_path / "m", {f"{k}.sql": v for k, v in TRICKY.items()})))
    for _ in range(2):
        with walk.final_copy() as conn:
            assert conn.execute("SELECT count(*) FROM b").fetchone()[0] == 0
            conn.execute("INSERT INTO b (id, note) VALUES (7, 'seen')")
    with walk.final_copy() as conn:  # a block that ends the transaction itself
        conn.execute("ROLLBACK")
        conn.execute("INSERT INTO b (id, note) VALUES (8, 'kept here')")
    with walk.final_copy() as conn:
        assert conn.execute("SELECT count(*) FROM b").fetchone()[0] == 0


def test_deferred_foreign_keys_get_fresh_copies_and_still_reject_orphans(tmp_path: Path) -> None:
    """Inside a transaction a deferred foreign key accepts an orphan until COMMIT, so a final
    schema naming DEFERRED is checked on fresh copies in autocommit mode, as before."""
    directory = _write(
        tmp_path / "m",
        {
            "1_tables.sql": (
                "CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n"
                "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL\n"
                "    REFERENCES parent(id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED);\n"
                "CREATE INDEX child_parent ON child(parent_id);\n"
            )
        },
    )
    walk = Walk(resolve(directory))
    with walk.final_copy() as first, walk.final_copy() as second:
        assert first is not second and not first.in_transaction
    assert _outcomes(plan(directory))["cascade[child.parent_id]"] is None


def test_upgrade_raises_what_foreign_key_check_raised(tmp_path: Path) -> None:
    directory = _write(
        tmp_path / "m",
        {
            "1_tables.sql": (
                "CREATE TABLE parent (id INTEGER PRIMARY KEY, code TEXT);\n"
                "CREATE TABLE child (code TEXT REFERENCES parent(code));\n"
            )
        },
    )
    walk = Walk(resolve(directory))
    with pytest.raises(drivers.OperationalError, match="foreign key mismatch"):
        check_upgrade(walk, 1)


def test_upgrade_still_reports_orphans() -> None:
    walk = Walk(resolve(HERE / "cases" / "upgrade_orphan_rows"))
    failed = [
        step.migration.version for step in walk.steps if step.health.broken and step.migration
    ]
    assert failed
    with pytest.raises(CheckFailure, match="foreign_key_check"):
        check_upgrade(walk, failed[0])


def test_a_down_script_runs_on_a_fresh_connection_after_an_up_script_set_a_pragma(
    tmp_path: Path,
) -> None:
    """``recursive_triggers`` set by the up script stays on its connection; the down script of
    the seeded run must not inherit it (it runs on a fresh copy, as ``sqlx migrate revert``)."""
    directory = _write(
        tmp_path / "m",
        {
            "1_tables.up.sql": (
                "CREATE TABLE t (id INTEGER PRIMARY KEY, n TEXT);\n"
                "CREATE TABLE keep (id INTEGER PRIMARY KEY, v TEXT);\n"
                "CREATE TRIGGER t_gone AFTER DELETE ON t BEGIN DELETE FROM keep; END;\n"
            ),
            "1_tables.down.sql": "DROP TABLE keep;\nDROP TABLE t;\n",
            "2_flag.up.sql": "PRAGMA recursive_triggers = ON;\nCREATE TABLE flag (x TEXT);\n",
            "2_flag.down.sql": (
                "INSERT OR REPLACE INTO t (id, n) SELECT id, n FROM t;\nDROP TABLE flag;\n"
            ),
        },
    )
    results = _outcomes(plan(directory))
    assert results["round_trip[2]"] is None
    assert results["data_survives[2]"] is None
