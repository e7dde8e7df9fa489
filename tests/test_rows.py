"""The row synthesiser (pytest_acodb.synth.rows) on tricky schemas, over real SQLite."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator

import pytest

from pytest_acodb import bundled_migrations_dir
from pytest_acodb.db import connect as database
from pytest_acodb.errors import AcodbError
from pytest_acodb.migrate import Migrator, resolve
from pytest_acodb.schema import snapshot
from pytest_acodb.synth.rows import RowSynth, check_rules, value_lists

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

AWKWARD = """
CREATE TABLE "group" ("id" TEXT PRIMARY KEY NOT NULL, "name" TEXT NOT NULL UNIQUE);
CREATE TABLE "order" (
  "id" INTEGER PRIMARY KEY,
  "group" TEXT NOT NULL REFERENCES "group"("id"),
  "the ""quoted"" col" TEXT NOT NULL,
  "dotted.name" INTEGER NOT NULL UNIQUE,
  "code" TEXT NOT NULL UNIQUE CHECK (length("code") BETWEEN 3 AND 5),
  "qty" INTEGER NOT NULL CHECK ("qty" BETWEEN 10 AND 20),
  "price" REAL NOT NULL CHECK ("price" > 0.5 AND "price" < 2),
  "payload" TEXT NOT NULL CHECK (json_valid("payload")),
  "flag" INTEGER NOT NULL CHECK ("flag" IN (0, 1)),
  "kind" TEXT NOT NULL CHECK ("kind" IN ('a', 'b', 'c') AND "kind" <> 'a'),
  "exact" TEXT NOT NULL CHECK (length("exact") = 2),
  "anything" NOT NULL,
  "blob" BLOB NOT NULL,
  "num" NUMERIC NOT NULL CHECK ("num" >= -3),
  "tagged" NOT NULL CHECK (typeof("tagged") = 'integer'),
  "paid_at" TEXT NOT NULL,
  "due" DATETIME NOT NULL,
  "note" TEXT DEFAULT 'n/a'
);
CREATE TABLE people (id INTEGER PRIMARY KEY,
  mentor_id INTEGER REFERENCES people(id),
  boss_id INTEGER NOT NULL REFERENCES people(id));
CREATE TABLE regions (code TEXT NOT NULL, country TEXT NOT NULL, name TEXT,
  PRIMARY KEY (code, country)) WITHOUT ROWID;
CREATE TABLE shops (id TEXT PRIMARY KEY NOT NULL, code TEXT NOT NULL, country TEXT NOT NULL,
  FOREIGN KEY (country, code) REFERENCES regions(country, code) ON DELETE CASCADE);
CREATE TABLE a (id INTEGER PRIMARY KEY, b_id INTEGER REFERENCES b(id));
CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER NOT NULL REFERENCES a(id));
CREATE TABLE spans (id INTEGER PRIMARY KEY, lo INTEGER NOT NULL, hi INTEGER NOT NULL,
  CHECK (hi > lo));
"""


def _open(sql: str) -> sqlite3.Connection:
    conn = database.connect(":memory:")
    conn.executescript(sql)
    return conn


@pytest.fixture
def conn() -> Iterator[sqlite3.Connection]:
    c = _open(AWKWARD)
    yield c
    c.close()


@pytest.fixture
def synth(conn: sqlite3.Connection) -> RowSynth:
    return RowSynth(conn, snapshot(conn))


def _clean(conn: sqlite3.Connection) -> None:
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_quoted_names_and_checks(synth: RowSynth, conn: sqlite3.Connection) -> None:
    rows = [synth.insert("order") for _ in range(12)]
    row = rows[0]
    assert 3 <= len(row["code"]) <= 5 and 10 <= row["qty"] <= 20 and 0.5 < row["price"] < 2
    assert json.loads(row["payload"]) == {} and row["flag"] in (0, 1)
    assert row["kind"] in ("b", "c") and len(row["exact"]) == 2 and row["num"] >= -3
    assert isinstance(row["tagged"], int) and isinstance(row["blob"], bytes)
    assert RFC3339.match(row["paid_at"]) and RFC3339.match(row["due"])
    assert row["paid_at"].startswith("2025-01-15T")
    assert row["note"] == "n/a"  # left to its default
    assert len({r["code"] for r in rows}) == 12 and len({r["dotted.name"] for r in rows}) == 12
    assert conn.execute('SELECT count(*) FROM "group"').fetchone()[0] == 12
    _clean(conn)


def test_overrides_win_and_unknown_columns_are_named(synth: RowSynth) -> None:
    row = synth.insert("order", **{'the "quoted" col': "x", "QTY": 11})
    assert row['the "quoted" col'] == "x" and row["qty"] == 11
    with pytest.raises(AcodbError, match="no column 'nope'"):
        synth.insert("order", nope=1)
    with pytest.raises(AcodbError, match="'missing' is not in the schema"):
        synth.insert("missing")


def test_self_reference(synth: RowSynth) -> None:
    row = synth.insert("people")
    assert row["mentor_id"] is None and row["boss_id"] == row["id"]
    other = synth.insert("people", mentor_id=row["id"])
    assert other["mentor_id"] == row["id"]


def test_composite_foreign_key_without_rowid_parent(
    synth: RowSynth, conn: sqlite3.Connection
) -> None:
    shop = synth.insert("shops")
    parent = conn.execute("SELECT code, country FROM regions").fetchall()
    assert parent == [(shop["code"], shop["country"])]
    _clean(conn)


def test_cycle_through_a_nullable_column(synth: RowSynth, conn: sqlite3.Connection) -> None:
    b = synth.insert("b")
    assert conn.execute("SELECT b_id FROM a WHERE id = ?", (b["a_id"],)).fetchone() == (None,)
    a = synth.insert("a")
    assert a["b_id"] is not None
    _clean(conn)


def test_cycle_of_not_null_keys_is_an_error() -> None:
    conn = _open(
        "CREATE TABLE x (id INTEGER PRIMARY KEY, y_id INTEGER NOT NULL REFERENCES y(id));"
        "CREATE TABLE y (id INTEGER PRIMARY KEY, x_id INTEGER NOT NULL REFERENCES x(id));"
    )
    with pytest.raises(AcodbError, match="cycle"):
        RowSynth(conn, snapshot(conn)).insert("x")


def test_unreadable_check_is_met_by_trying_candidates(synth: RowSynth) -> None:
    row = synth.insert("spans")
    assert row["hi"] > row["lo"]


def test_impossible_check_names_the_table() -> None:
    conn = _open(
        "CREATE TABLE odd (id INTEGER PRIMARY KEY, v INTEGER NOT NULL CHECK (v > 5 AND v < 3));"
    )
    with pytest.raises(AcodbError, match=r"table odd.*CHECK constraint failed"):
        RowSynth(conn, snapshot(conn)).insert("odd")


def test_missing_parent_table_is_named() -> None:
    conn = _open(
        "CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER NOT NULL REFERENCES post(id));"
    )
    with pytest.raises(AcodbError, match="references table post, which does not exist"):
        RowSynth(conn, snapshot(conn)).insert("c")


def test_deterministic_from_the_seed() -> None:
    def rows(seed: int) -> list[dict[str, object]]:
        conn = _open(AWKWARD)
        s = RowSynth(conn, snapshot(conn), seed=seed)
        return [s.insert("order"), s.insert("shops"), s.insert("people")]

    assert rows(3) == rows(3)
    assert rows(3) != rows(4)


def test_seed_all_on_the_bundled_schema() -> None:
    source = resolve(bundled_migrations_dir())
    conn = database.connect(":memory:")
    Migrator(source).run(conn)
    synth = RowSynth(conn, snapshot(conn, exclude=(source.table_name,)))
    counts = synth.seed_all(30)
    assert set(counts.values()) == {30}
    order = list(counts)
    assert order.index("tasks") < order.index("workflow_tasks")
    assert order.index("workflows") < order.index("workflow_tasks")
    for table in counts:
        assert conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] == 30
    _clean(conn)


@pytest.mark.parametrize("seed", [0, 2**63 + 12345, 2**64 - 1])
def test_any_64_bit_seed_gives_valid_timestamps(seed: int) -> None:
    # acodb_rows passes the test's 64-bit seed; the synthesiser must stay in datetime's range.
    source = resolve(bundled_migrations_dir())
    conn = database.connect(":memory:")
    Migrator(source).run(conn)
    synth = RowSynth(conn, snapshot(conn, exclude=(source.table_name,)), seed=seed)
    assert synth.seed_table("tool_executions", 5) == 5
    for (created,) in conn.execute("SELECT created_at FROM tasks"):
        assert RFC3339.match(created) and "2025" <= created < "2045"
    _clean(conn)


def test_seed_all_on_awkward_names(synth: RowSynth, conn: sqlite3.Connection) -> None:
    counts = synth.seed_all(5)
    assert counts["order"] == 5 and counts["people"] == 5
    _clean(conn)


def test_other_value_and_where(synth: RowSynth, conn: sqlite3.Connection) -> None:
    row = synth.insert("order")
    for column in ("kind", "flag", "qty", "group"):
        new = synth.other_value("order", column, row[column])
        assert new != row[column]
        where, params = synth.where("order", row)
        conn.execute(f'UPDATE "order" SET "{column}" = ? WHERE {where}', [new, *params])
    _clean(conn)


def test_other_value_when_the_check_allows_one_value() -> None:
    conn = _open("CREATE TABLE one (id INTEGER PRIMARY KEY, v TEXT NOT NULL CHECK (v IN ('x')));")
    with pytest.raises(AcodbError, match=r"one\.v: its CHECK allows no other value"):
        RowSynth(conn, snapshot(conn)).other_value("one", "v", "x")


def test_rules_and_value_lists() -> None:
    conn = _open(AWKWARD)
    order = snapshot(conn).tables["order"]
    rules = check_rules(order)
    assert rules["qty"].lo == 10 and rules["qty"].hi == 20
    assert rules["code"].len_lo == 3 and rules["code"].len_hi == 5
    assert rules["payload"].json and rules["tagged"].sqltype == "integer"
    assert value_lists(order) == {"flag": (0, 1), "kind": ("a", "b", "c")}
